using Dispatch.Generated;
using Dispatch.Generated.Models;
using Dispatch.KiotaWalkthrough;
using Microsoft.Kiota.Abstractions.Serialization;
using Microsoft.Kiota.Http.HttpClientLibrary;

// The README's walk-through with a generated client: a requester, a certified worker, a project that needs the
// certification, two tasks, claims and submits, then progress and results. Any surprise ends the run with exit code 1.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: Dispatch.KiotaWalkthrough <base url> <admin key>");
    return 2;
}

var (baseUrl, adminKey) = (args[0].TrimEnd('/'), args[1]);
var run = Guid.NewGuid().ToString("N")[..8];
DispatchClient Client(string secret) => new(new HttpClientRequestAdapter(new BearerSecret(secret)) { BaseUrl = baseUrl });

try
{
    var admin = Client(adminKey);

    // A requester (a platform's customer) and its key, shown once.
    var requester = await admin.V1.Requesters.PostAsync(new CreateRequesterRequest { Id = $"acme-{run}", Name = "Acme AI" });
    Check(requester?.ApiKey is { Length: > 0 }, "the new requester has an API key");
    var acme = Client(requester!.ApiKey!);

    // A worker and its token, shown once; certified at level 2 for image labelling.
    var workerId = $"mina-{run}";
    var created = await admin.V1.Workers.PostAsync(new CreateWorkerRequest { Id = workerId, DisplayName = "Mina" });
    Check(created?.Token is { Length: > 0 }, "the new worker has a token");
    var certified = await admin.V1.Workers[workerId].Certifications["image-labeling"].PutAsync(new CertificationRequest { Level = 2 });
    Check(certified?.Certifications?.SingleOrDefault()?.Level == 2, "the worker holds image-labeling at level 2");
    var mina = Client(created!.Token!);

    // A project that needs certified workers, and its tasks.
    var projectId = $"cats-{run}";
    var project = await acme.V1.Projects.PostAsync(new CreateProjectRequest
    {
        Id = projectId,
        Name = "Cat or fur ball?",
        Requirements = [new RequirementDto { Skill = "image-labeling", MinLevel = 2 }],
        Overlap = 1,
        LeaseSeconds = 300,
        Reward = 0.05,
    });
    Check(project?.Status == "open", "the project is open");
    var import = await acme.V1.Projects[projectId].Tasks.PostAsync(new ImportRequest
    {
        Tasks =
        [
            new ImportTaskDto { Id = "img-1", Payload = Url("https://example.com/1.jpg") },
            new ImportTaskDto { Payload = Url("https://example.com/2.jpg") },
        ],
    });
    Check(import?.Created == 2 && import.Ids?.Count == 2 && import.Ids[0] == "img-1", "both tasks are created, the first with its own id");

    // The worker claims (waiting up to 20 s for work), then submits, until no task is left for it.
    var leases = mina.V1.Workers[workerId].Leases;
    for (var i = 0; i < 2; i++)
    {
        var lease = await leases.PostAsync(new ClaimRequest { WaitSeconds = 20 });
        Check(lease?.ProjectId == projectId && lease.LeaseId is { Length: > 0 }, $"claim {i + 1} leases a task of the project");
        var receipt = await leases[lease!.LeaseId!].Submit.PostAsync(new SubmitRequest { Result = Label("cat") });
        Check(receipt?.TaskState == "completed", $"submit {i + 1} completes its task");
        Console.WriteLine($"submitted {receipt!.TaskId}");

        // A second submit of the same lease is refused with a typed problem.
        try
        {
            await leases[lease.LeaseId].Submit.PostAsync(new SubmitRequest { Result = Label("cat") });
            Check(false, "a second submit of one lease is refused");
        }
        catch (ProblemDetails problem)
        {
            Check(problem.Status == 409 && problem.Type == "lease-not-active", "a second submit answers 409 lease-not-active");
        }
    }

    var none = await leases.PostAsync(new ClaimRequest { ProjectId = projectId, WaitSeconds = 0 });
    Check(none is null, "a claim with nothing left answers 204");

    // Progress and results.
    var progress = await acme.V1.Projects[projectId].GetAsync();
    Check(progress?.Counts?.Total == 2 && progress.Counts.Completed == 2, "the project counts 2 tasks, 2 completed");
    var results = await acme.V1.Projects[projectId].Results.GetAsync(c => c.QueryParameters.Limit = 100);
    Check(results?.Items?.Count == 2 && results.Items.All(r => r.Submissions?.Single().WorkerId == workerId), "the results list both tasks with the worker's submission");
    var worker = await mina.V1.Workers[workerId].GetAsync();
    Check(worker?.Stats?.Submitted == 2 && worker.Earnings?.Total == 0.1, "the worker has 2 submissions and earned 0.10");

    Console.WriteLine($"walk-through done: {progress!.Counts!.Completed} tasks completed, {results!.Items!.Count} results");
    return 0;
}
catch (Exception e)
{
    Console.Error.WriteLine($"walk-through failed: {e}");
    return 1;
}

static UntypedObject Url(string url) => new(new Dictionary<string, UntypedNode> { ["url"] = new UntypedString(url) });

static UntypedObject Label(string label) => new(new Dictionary<string, UntypedNode> { ["label"] = new UntypedString(label) });

static void Check(bool holds, string what)
{
    if (!holds)
    {
        throw new InvalidOperationException($"Expected: {what}.");
    }

    Console.WriteLine($"ok: {what}");
}
