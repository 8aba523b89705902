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
            options.AddDocumentTransformer<DocumentInfoTransformer>();
            options.AddOperationTransformer<OperationTransformer>();
            options.AddSchemaTransformer<StrictNumbersTransformer>();
        });
}
