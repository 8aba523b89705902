using System.Collections.Immutable;
using Dispatch.Projects;
using Dispatch.Tasks;
using Dispatch.Work;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>
/// Every worker who takes an exam leases each of its tasks. The news a task sends its shard after a change names only
/// who joined since the shard last heard, so it stays small however many took the exam; a shard that missed some news
/// reads the task from storage rather than forget who held it.
/// </summary>
public sealed class ExamTaskNewsGrainTests(LostNewsFixture fixture) : IClassFixture<LostNewsFixture>
{
    private IGrainFactory Grains => fixture.Grains;

    [Fact]
    public async Task NewsOfAnExamTask_NamesOnlyWhoJoined_HoweverManyTookTheExam()
    {
        var project = await NewExamProjectAsync();
        var heard = ShardNews.Watch(project);
        var workers = new List<IWorkerGrain>();
        for (var i = 0; i < 60; i++)
        {
            var worker = await NewWorkerAsync();
            var lease = (await worker.ClaimAsync(project)).Value!;
            Assert.True((await worker.SubmitAsync(lease.LeaseId, "1")).IsSuccess);
            workers.Add(worker);
        }

        var news = heard.Snapshots.ToList();
        Assert.All(news.Where(s => s.JoinedSince is not null), s => Assert.True(s.Workers.Length <= 1, $"news of version {s.Version} named {s.Workers.Length} workers"));
        Assert.True(news.Count(s => s.JoinedSince is null) <= 1, "only the first news after the task was read from storage names everyone");
        Assert.Equal(60, news.MaxBy(s => s.Version)!.Submissions);

        // The shard still knows everyone who took it: none of them is offered the task, and no task is even asked.
        var asked = heard.LeasesAskedFor.Count;
        foreach (var worker in workers)
        {
            Assert.Null((await worker.ClaimAsync(project)).Value);
        }

        Assert.Equal(asked, heard.LeasesAskedFor.Count);
    }

    [Fact]
    public async Task ShardThatMissedWhoJoined_ReadsTheTaskFromStorage_AndKnowsWhoHeldIt()
    {
        var project = await NewExamProjectAsync();
        var heard = ShardNews.Watch(project);
        var first = await NewWorkerAsync();
        var lease = (await first.ClaimAsync(project)).Value!;
        Assert.True((await first.SubmitAsync(lease.LeaseId, "1")).IsSuccess);

        // The lease is stored and its answer, the only news of this worker joining, is lost with the task's silo.
        var unlucky = await NewWorkerAsync();
        LostNews.Lose(project, NewsLoss.LeaseAnswerLostOnce);
        Assert.NotNull(await Record.ExceptionAsync(() => unlucky.ClaimAsync(project)));

        // The shard asks the task again; the task's news names nobody new since what it believes the shard heard.
        await CountsBecomeAsync(project, new ProjectCounts(Open: 1, Completed: 0, DeadLettered: 0, ActiveLeases: 1, Submissions: 1));

        var asked = heard.LeasesAskedFor.Count;
        var again = await unlucky.ClaimAsync(project);
        Assert.True(again.IsSuccess);
        Assert.Equal(lease.TaskId, (await unlucky.GetActiveLeasesAsync()).Single().TaskId);
        Assert.DoesNotContain(unlucky.GetPrimaryKeyString(), heard.LeasesAskedFor.Skip(asked));
    }

    private Task CountsBecomeAsync(string project, ProjectCounts expected) =>
        GrainCrowd.CountsBecomeAsync(Grains, project, expected, TimeSpan.FromSeconds(10));

    private async Task<string> NewExamProjectAsync()
    {
        var id = $"p-{Guid.NewGuid():N}";
        var settings = new ProjectSettings(id, null, null, [], 1, 600, 10, 0m, 0, null, new ExamRule($"skill-{id}", 1, 0.5));
        Assert.True((await Grains.GetGrain<IProjectGrain>(id).CreateAsync(null, settings)).IsSuccess);
        Assert.True((await Grains.GetGrain<IProjectGrain>(id).ImportAsync([new NewTask("exam-1", """{"q":1}""", 0, "1")])).IsSuccess);
        return id;
    }

    private Task<IWorkerGrain> NewWorkerAsync() => GrainCrowd.NewWorkerAsync(Grains);
}
