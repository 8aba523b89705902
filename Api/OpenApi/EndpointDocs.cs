using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Dispatch.Api.OpenApi;

/// <summary>
/// The JSON body an endpoint reads by hand through <see cref="JsonBody"/>, for API descriptions. Unlike
/// <c>Accepts&lt;T&gt;</c> it lists no content types, so routing's content-type check never applies to the endpoint: a
/// body is judged by the contract's own rules (<c>400 validation</c>, <c>413 too-large</c>) whatever header it came with.
/// </summary>
public sealed record RequestBodyMetadata(Type RequestType, bool IsOptional) : IAcceptsMetadata
{
    public IReadOnlyList<string> ContentTypes => [];
}

/// <summary>The error types an endpoint (or a whole group) may answer with.</summary>
public sealed record ProblemTypesMetadata(IReadOnlyList<ProblemType> Types);

public static class EndpointDocs
{
    /// <summary>Documents the JSON body of type <typeparamref name="T"/> the handler reads; <paramref name="optional"/>: it may be empty.</summary>
    public static RouteHandlerBuilder Reads<T>(this RouteHandlerBuilder builder, bool optional = false) =>
        builder.WithMetadata(new RequestBodyMetadata(typeof(T), optional));

    /// <summary>Documents the problem answers the endpoints of <paramref name="builder"/> may give.</summary>
    public static TBuilder Refuses<TBuilder>(this TBuilder builder, params ProblemType[] types)
        where TBuilder : IEndpointConventionBuilder
    {
        foreach (var status in types.Select(t => t.Status).Distinct())
        {
            var shape = status == StatusCodes.Status400BadRequest ? typeof(HttpValidationProblemDetails) : typeof(ProblemDetails);
            builder.WithMetadata(new ProducesResponseTypeMetadata(status, shape, ["application/problem+json"]));
        }

        return builder.WithMetadata(new ProblemTypesMetadata(types));
    }
}
