using System.Text.Json;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Api.OpenApi;

public static class DispatchOpenApi
{
    /// <summary>The name of Dispatch's OpenAPI document, served at <c>/openapi/v1.json</c> by <c>MapOpenApi()</c>.</summary>
    public const string DocumentName = "v1";

    /// <summary>
    /// Adds the OpenAPI document of the endpoints <c>MapDispatchApi()</c> maps: title and version of the contract,
    /// tag descriptions, the bearer scheme, each operation's roles, request body and problem types.
    /// </summary>
    public static IServiceCollection AddDispatchOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(DocumentName, options =>
        {
            options.OpenApiVersion = Microsoft.OpenApi.OpenApiSpecVersion.OpenApi3_1;
            // Payloads and results are any JSON value: inline "{}" rather than a component named after a .NET type,
            // so generated clients give them an untyped JSON node rather than an empty class.
            options.CreateSchemaReferenceId = type => type.Type == typeof(JsonElement) || type.Type == typeof(JsonElement?)
                ? null
                : OpenApiOptions.CreateDefaultSchemaReferenceId(type);
            options.AddDocumentTransformer<DocumentInfoTransformer>();
            options.AddOperationTransformer<OperationTransformer>();
            options.AddSchemaTransformer<StrictNumbersTransformer>();
        });
}
