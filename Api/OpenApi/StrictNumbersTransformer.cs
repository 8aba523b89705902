using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Dispatch.Api.OpenApi;

/// <summary>
/// Numbers are JSON numbers. The web serializer defaults would describe every number as "a number or a string of
/// digits"; Dispatch reads bodies strictly (<see cref="JsonBody.Options"/>) and writes numbers as numbers, so the
/// document says what the server does, whatever the host's own JSON options are.
/// </summary>
internal sealed class StrictNumbersTransformer : IOpenApiSchemaTransformer
{
    public Task TransformAsync(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type
            && (type & (JsonSchemaType.Integer | JsonSchemaType.Number)) != 0
            && (type & JsonSchemaType.String) != 0)
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }
}
