using System.Globalization;

namespace Dispatch.Bench;

/// <summary>What the simulator does, read from the command line (<c>--name value</c> pairs).</summary>
public sealed class SimulatorOptions
{
    /// <summary>Base address of the system under test. Default: http://127.0.0.1:5080.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1:5080");

    /// <summary><c>api</c> (Dispatch or the peer: the real claim/submit API) or <c>ceiling</c> (two bare POSTs per cycle). Default: api.</summary>
    public string Mode { get; private set; } = "api";

    /// <summary>A label for the system under test, copied into the results. Default: the mode.</summary>
    public string System { get; private set; } = "";

    /// <summary>The admin bearer key. Default: dev-admin-key-change-me.</summary>
    public string AdminKey { get; private set; } = "dev-admin-key-change-me";

    /// <summary>Virtual workers, each with its own token and one connection. Default: 64.</summary>
    public int Workers { get; private set; } = 64;

    /// <summary>Tasks in all projects together (with <see cref="KeepQueued"/>: not used). Default: 10,000.</summary>
    public int Tasks { get; private set; } = 10_000;

    /// <summary>Projects the tasks are spread over. Default: 1.</summary>
    public int Projects { get; private set; } = 1;

    /// <summary>Distinct workers each task needs. Default: 1.</summary>
    public int Overlap { get; private set; } = 1;

    /// <summary>Long-poll wait sent with each claim, in seconds (0 = none). Default: 0.</summary>
    public int WaitSeconds { get; private set; }

    /// <summary>Approximate size of each task payload in bytes of JSON. Default: 64.</summary>
    public int PayloadBytes { get; private set; } = 64;

    /// <summary>
    /// Tasks crowded through before the measured run, so that every system is measured warm (JIT tiering, pools,
    /// caches) rather than in its first seconds. They go to a project of their own, not counted. An import-only run
    /// without a crowd only imports them. Default: 0.
    /// </summary>
    public int WarmupTasks { get; private set; }

    /// <summary>Tasks per import call. Default: 10,000 (the API's limit).</summary>
    public int ImportBatch { get; private set; } = 10_000;

    /// <summary>Import calls in flight at once. Default: 1.</summary>
    public int ImportParallel { get; private set; } = 1;

    /// <summary>
    /// Only create the projects and import: measures the import rate and, given <c>--pid server=...</c>, the growth of
    /// the server's resident memory per imported task. No workers unless <see cref="ThenCycles"/>. Default: false.
    /// </summary>
    public bool ImportOnly { get; private set; }

    /// <summary>
    /// With <see cref="ImportOnly"/>: after the import, a crowd of <see cref="Workers"/> takes this many claim+submit
    /// cycles from the imported project, so that its results export has something to page through. Default: 0.
    /// </summary>
    public int ThenCycles { get; private set; }

    /// <summary>
    /// Consecutive pages of <c>GET /v1/projects/{id}/results?limit=1000</c> timed after the run, each following the
    /// previous page's <c>next</c>. Default: 0.
    /// </summary>
    public int ExportPages { get; private set; }

    /// <summary>
    /// Keeps about this many tasks queued while the crowd runs: the project starts with this many (instead of
    /// <see cref="Tasks"/>) and a background loop imports 1,000 more (fewer if the queue is shorter) each time that many
    /// were completed. Needs <see cref="Cycles"/> and one project. Default: 0 (off).
    /// </summary>
    public int KeepQueued { get; private set; }

    /// <summary>
    /// Claim+submit cycles in all after which the workers stop claiming (0 = until no work is left). Such a run leaves
    /// work queued, so it checks only counts, accepted submits and errors, not that every task completed. Default: 0.
    /// </summary>
    public int Cycles { get; private set; }

    /// <summary>
    /// With <see cref="WaitSeconds"/>: once no work is left and every worker waits in a long poll, the server's CPU is
    /// measured over this many seconds. It must end before the first wait does. Default: 0 (off).
    /// </summary>
    public int IdleWindow { get; private set; }

    /// <summary>
    /// What the run measures, copied into the results so the report can tell it apart (for example
    /// <c>growth-queued</c>, <c>growth-projects</c>, <c>long-poll</c>, <c>cold-start</c>); untagged runs form the main
    /// tables. Default: none.
    /// </summary>
    public string? Tag { get; private set; }

    /// <summary>Name the project in each claim instead of letting the server route. Default: false.</summary>
    public bool NameProject { get; private set; }

    /// <summary>Server processes whose CPU time is measured: name to pid (the pid's whole process tree counts).</summary>
    public Dictionary<string, int> Pids { get; } = [];

    /// <summary>A file the JSON result line is appended to. Default: none.</summary>
    public string? JsonOut { get; private set; }

    /// <summary>A prefix making this run's ids unique on a server that keeps earlier runs. Default: random.</summary>
    public string RunId { get; private set; } = Guid.NewGuid().ToString("N")[..8];

    /// <summary>
    /// A file created when the measured crowd starts (after the warm-up and the import), so that a profiler started
    /// from outside can sample the measured phase alone. Default: none.
    /// </summary>
    public string? StartedFile { get; private set; }

    /// <summary>Skips the results export and count checks at the end. Default: false.</summary>
    public bool SkipVerify { get; private set; }

    public static SimulatorOptions Parse(IReadOnlyList<string> args)
    {
        var o = new SimulatorOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{name} needs a value.");
            int Int() => int.Parse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture);
            switch (name)
            {
                case "--url": o.Url = new Uri(Value()); break;
                case "--mode": o.Mode = Value(); break;
                case "--system": o.System = Value(); break;
                case "--admin-key": o.AdminKey = Value(); break;
                case "--workers": o.Workers = Int(); break;
                case "--tasks": o.Tasks = Int(); break;
                case "--projects": o.Projects = Int(); break;
                case "--overlap": o.Overlap = Int(); break;
                case "--wait-seconds": o.WaitSeconds = Int(); break;
                case "--warmup-tasks": o.WarmupTasks = Int(); break;
                case "--payload-bytes": o.PayloadBytes = Int(); break;
                case "--import-batch": o.ImportBatch = Int(); break;
                case "--import-parallel": o.ImportParallel = Int(); break;
                case "--import-only": o.ImportOnly = true; break;
                case "--then-cycles": o.ThenCycles = Int(); break;
                case "--export-pages": o.ExportPages = Int(); break;
                case "--keep-queued": o.KeepQueued = Int(); break;
                case "--cycles": o.Cycles = Int(); break;
                case "--idle-window": o.IdleWindow = Int(); break;
                case "--tag": o.Tag = Value(); break;
                case "--name-project": o.NameProject = true; break;
                case "--skip-verify": o.SkipVerify = true; break;
                case "--json-out": o.JsonOut = Value(); break;
                case "--started-file": o.StartedFile = Value(); break;
                case "--run-id": o.RunId = Value(); break;
                case "--pid":
                    var pair = Value().Split('=', 2);
                    if (pair.Length != 2)
                    {
                        throw new ArgumentException("--pid takes name=pid.");
                    }

                    o.Pids[pair[0]] = int.Parse(pair[1], CultureInfo.InvariantCulture);
                    break;
                default: throw new ArgumentException($"Unknown option '{name}'.");
            }
        }

        if (o.Mode is not ("api" or "ceiling"))
        {
            throw new ArgumentException("--mode is api or ceiling.");
        }

        if (o.Workers < 1 || o.Tasks < 1 || o.Projects < 1 || o.Overlap < 1 || o.Projects > o.Tasks || o.ImportParallel < 1 || o.ImportBatch is < 1 or > 10_000 || o.WarmupTasks < 0)
        {
            throw new ArgumentException("--workers, --tasks, --projects, --overlap, --import-parallel must be positive, --projects at most --tasks, --import-batch 1..10000, --warmup-tasks not negative.");
        }

        if (o.ThenCycles < 0 || o.ExportPages < 0 || o.KeepQueued < 0 || o.Cycles < 0 || o.IdleWindow < 0)
        {
            throw new ArgumentException("--then-cycles, --export-pages, --keep-queued, --cycles and --idle-window must not be negative.");
        }

        if (o.ThenCycles > 0 && !o.ImportOnly)
        {
            throw new ArgumentException("--then-cycles goes with --import-only (use --cycles for a crowd run).");
        }

        if (o.KeepQueued > 0 && (o.Cycles == 0 || o.ImportOnly || o.Projects != 1 || o.Mode != "api"))
        {
            throw new ArgumentException("--keep-queued needs --cycles, one project, --mode api and no --import-only.");
        }

        if (o.IdleWindow > 0 && (o.WaitSeconds <= o.IdleWindow || o.ImportOnly))
        {
            throw new ArgumentException("--idle-window needs a crowd run with --wait-seconds longer than the window.");
        }

        if (o.System.Length == 0)
        {
            o.System = o.Mode;
        }

        return o;
    }
}
