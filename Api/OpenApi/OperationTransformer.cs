using System.Text;
using System.Text.Json.Nodes;
using Dispatch.Api.Auth;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dispatch.Api.OpenApi;

/// <summary>
/// Writes into each operation what its endpoint metadata says but ASP.NET Core does not document by itself: that a
/// body may be empty, the roles its authorization filter lets through, and which error types each problem status
/// stands for.
/// </summary>
internal sealed class OperationTransformer : IOpenApiOperationTransformer
{
    public Task TransformAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<RequestBodyMetadata>().LastOrDefault() is { IsOptional: true } && operation.RequestBody is OpenApiRequestBody body)
        {
            body.Description = "May be empty.";
        }

        if (metadata.OfType<AllowedRoles>().LastOrDefault() is { } allowed)
        {
            operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(DocumentInfoTransformer.BearerScheme, context.Document)] = [] }];
            var roles = RoleNames(allowed.Roles);
            operation.Extensions ??= new Dictionary<string, IOpenApiExtension>();
            operation.Extensions["x-dispatch-roles"] = new JsonNodeExtension(new JsonArray([.. roles.Select(r => JsonValue.Create(r))]));
            operation.Description = Join(operation.Description, $"Roles: {string.Join(", ", roles)}{(allowed.Roles.HasFlag(Roles.Worker) ? " (a worker only as itself)" : "")}.");
        }

        var problems = metadata.OfType<ProblemTypesMetadata>().SelectMany(m => m.Types).Distinct().ToList();
        foreach (var (status, response) in operation.Responses ?? [])
        {
            var types = problems.Where(p => p.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) == status).ToList();
            if (types.Count > 0 && response is OpenApiResponse problemResponse)
            {
                problemResponse.Description = string.Join("; ", types.Select(t => $"`{t.Name}`: {t.Meaning}"));
            }
        }

        return Task.CompletedTask;
    }

    private static List<string> RoleNames(Roles roles) =>
        [.. new[] { Roles.Admin, Roles.Requester, Roles.Worker }.Where(r => roles.HasFlag(r)).Select(r => r.ToString().ToLowerInvariant())];

    private static string Join(string? first, string second) =>
        string.IsNullOrEmpty(first) ? second : new StringBuilder(first).Append(' ').Append(second).ToString();
}
