using Dispatch.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;

namespace Dispatch.Tests.Http;

/// <summary>
/// Which failures the API answers with <c>503 unavailable</c>: a database that cannot be reached or gives up for now
/// (retrying helps), never one that refuses the statement itself (retrying gives the same error for ever).
/// </summary>
public sealed class UnavailableFilterTests
{
    [Theory]
    [InlineData("57P01")] // admin_shutdown: the server is stopping
    [InlineData("08006")] // connection_failure
    [InlineData("53300")] // too_many_connections
    [InlineData("40001")] // serialization_failure
    [InlineData("57014")] // query_canceled (statement timeout)
    public async Task TransientDatabaseError_Is503WithRetryAfter(string sqlState)
    {
        var http = new DefaultHttpContext();

        var answer = await InvokeAsync(http, new PostgresException("refused for now", "FATAL", "FATAL", sqlState));

        Assert.Equal(StatusCodes.Status503ServiceUnavailable, Assert.IsType<ProblemHttpResult>(answer).StatusCode);
        Assert.Equal("2", http.Response.Headers.RetryAfter.ToString());
    }

    [Theory]
    [InlineData("22P05")] // untranslatable_character: a \u0000 in jsonb
    [InlineData("22021")] // character_not_in_repertoire: a NUL byte in text
    [InlineData("23505")] // unique_violation
    [InlineData("42P01")] // undefined_table
    public async Task DeterministicDatabaseError_IsNeverUnavailable(string sqlState)
    {
        var error = new PostgresException("refused for ever", "ERROR", "ERROR", sqlState);

        var thrown = await Assert.ThrowsAsync<PostgresException>(() => InvokeAsync(new DefaultHttpContext(), error));
        Assert.Same(error, thrown);

        // Wrapped as a grain call or a group commit would wrap it, too.
        await Assert.ThrowsAsync<OrleansException>(() => InvokeAsync(new DefaultHttpContext(), new OrleansException("grain call failed", error)));
        await Assert.ThrowsAsync<AggregateException>(() => InvokeAsync(new DefaultHttpContext(), new AggregateException(error)));
    }

    private static async Task<object?> InvokeAsync(HttpContext http, Exception error) =>
        await new UnavailableFilter().InvokeAsync(EndpointFilterInvocationContext.Create(http), _ => throw error);
}
