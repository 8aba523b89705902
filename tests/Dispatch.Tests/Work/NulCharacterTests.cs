using System.Net;
using Dispatch.Tests.Http;
using Dispatch.Tests.Infrastructure;

namespace Dispatch.Tests.Work;

/// <summary>
/// A JSON value holding the NUL character (the escape <c>\u0000</c>) can never be stored in PostgreSQL, so it is
/// refused up front on both backends alike: <c>400 validation</c> naming the field, nothing of the call stored. A
/// value that only spells the escape (an escaped backslash before <c>u0000</c>) is ordinary text and is taken.
/// </summary>
public abstract class NulCharacterTests : WorkTestBase
{
    [Theory]
    [InlineData("""[{"id":"t","payload":{"text":"a\u0000b"}}]""", "tasks[0].payload")]
    [InlineData("""[{"id":"t","payload":{"a\u0000":1}}]""", "tasks[0].payload")]
    [InlineData("""[{"id":"ok","payload":1},{"id":"t","payload":[["\u0000"]]}]""", "tasks[1].payload")]
    [InlineData("""[{"id":"t","payload":1,"goldenAnswer":"\u0000"}]""", "tasks[0].goldenAnswer")]
    public async Task Import_WithNulInAJsonValue_Is400Validation_AndStoresNothing(string tasks, string field)
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);

        (await owner.Client.PostApiAsync($"{ProjectPath(projectId)}/tasks", $$"""{"tasks":{{tasks}}}""")).IsValidationProblem(field);

        AssertCounts(await GetProjectAsync(owner.Client, projectId), total: 0, open: 0);
    }

    [Fact]
    public async Task Submit_WithNulInTheResult_Is400Validation_AndTheLeaseStaysActive()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);
        await ImportAsync(owner.Client, projectId, """[{"id":"t","payload":1}]""");
        var worker = await CreateWorkerAsync();
        var lease = await ClaimLeaseAsync(worker, projectId);

        (await worker.Client.PostApiAsync(LeasePath(worker.Id, lease.LeaseId, "submit"), """{"result":{"label":"cat\u0000"}}""")).IsValidationProblem("result");

        (await worker.Client.PostApiAsync(LeasePath(worker.Id, lease.LeaseId, "submit"), """{"result":{"label":"cat"}}""")).Is(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TheEscapeSpelledOut_IsOrdinaryText_AndIsStored()
    {
        var owner = await CreateRequesterAsync();
        var projectId = await CreateProjectAsync(owner.Client);

        await ImportAsync(owner.Client, projectId, """[{"id":"t","payload":{"text":"\\u0000"}}]""");

        var task = await GetTaskAsync(owner.Client, projectId, "t");
        Assert.Equal("\\u0000", task["payload"]!["text"]!.GetValue<string>());
    }
}

/// <summary>The NUL rules on in-memory storage.</summary>
public sealed class NulCharacterTests_Memory(MemoryApiHost host) : NulCharacterTests, IClassFixture<MemoryApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => Task.FromResult(host.Factory);
}

/// <summary>The NUL rules on PostgreSQL storage.</summary>
[Collection(PostgresCollection.Name)]
public sealed class NulCharacterTests_Postgres(PostgresServer postgres, PostgresApiHost host) : NulCharacterTests, IClassFixture<PostgresApiHost>
{
    protected override Task<DispatchApiFactory> GetHostAsync() => host.GetAsync(postgres);
}
