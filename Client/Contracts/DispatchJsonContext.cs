using System.Text.Json;
using System.Text.Json.Serialization;

namespace Dispatch.Client;

/// <summary>Source-generated serialization of every body the client sends or reads (trimming- and AOT-safe).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(NewRequester))]
[JsonSerializable(typeof(CreatedRequester))]
[JsonSerializable(typeof(NewWorker))]
[JsonSerializable(typeof(CreatedWorker))]
[JsonSerializable(typeof(Worker))]
[JsonSerializable(typeof(LevelBody))]
[JsonSerializable(typeof(ReasonBody))]
[JsonSerializable(typeof(NewProject))]
[JsonSerializable(typeof(ProjectChanges))]
[JsonSerializable(typeof(Project))]
[JsonSerializable(typeof(ProjectList))]
[JsonSerializable(typeof(ImportBody))]
[JsonSerializable(typeof(ImportResult))]
[JsonSerializable(typeof(TaskView))]
[JsonSerializable(typeof(Page<TaskView>))]
[JsonSerializable(typeof(Page<CompletedTask>))]
[JsonSerializable(typeof(Lease))]
[JsonSerializable(typeof(LeaseList))]
[JsonSerializable(typeof(ClaimBody))]
[JsonSerializable(typeof(HeartbeatBody))]
[JsonSerializable(typeof(HeartbeatReceipt))]
[JsonSerializable(typeof(SubmitBody))]
[JsonSerializable(typeof(SubmitReceipt))]
[JsonSerializable(typeof(NewBonus))]
[JsonSerializable(typeof(Bonus))]
[JsonSerializable(typeof(NewPayout))]
[JsonSerializable(typeof(Payout))]
[JsonSerializable(typeof(Page<LedgerEntry>))]
[JsonSerializable(typeof(DispatchEvent))]
[JsonSerializable(typeof(ProblemBody))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class DispatchJsonContext : JsonSerializerContext;
