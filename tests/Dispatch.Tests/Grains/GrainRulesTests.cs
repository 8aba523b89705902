using Dispatch.Common;
using Dispatch.Projects;
using Dispatch.Workers;

namespace Dispatch.Tests.Grains;

/// <summary>
/// A platform that calls the grains directly, past the HTTP layer, meets the same ranges: the grains refuse settings
/// out of bounds with a validation answer naming the field, and store nothing of them.
/// </summary>
[Collection(GrainClusterCollection.Name)]
public sealed class GrainRulesTests(GrainClusterFixture fixture)
{
    private IGrainFactory Grains => fixture.Grains;

    private static ProjectSettings Valid(string name) => new(name, null, null, [new SkillRequirement("tagging", 2)], 3, 300, 10, 0.05m, 0, null, null);

    public static TheoryData<string, string> BadSettings() => new()
    {
        { "overlap", "overlap" },
        { "leaseSeconds", "leaseSeconds" },
        { "maxAttempts", "maxAttempts" },
        { "reward", "reward" },
        { "rewardDecimals", "reward" },
        { "requirement", "requirements[0].minLevel" },
        { "requirementSkill", "requirements[0].skill" },
        { "quality", "quality.minAccuracy" },
        { "exam", "exam.level" },
        { "reviewRequirement", "review.requirements[0].minLevel" },
        { "reviewReward", "review.reward" },
        { "dynamicOverlapAlone", "dynamicOverlap" },
        { "dynamicOverlapMax", "dynamicOverlap.max" },
        { "dynamicOverlapAgreement", "dynamicOverlap.agreement" },
        { "aggregationField", "aggregation.field" },
        { "autoAccept", "review.autoAcceptSeconds" },
    };

    [Theory]
    [MemberData(nameof(BadSettings))]
    public async Task ProjectGrain_RefusesSettingsOutOfRange_AndStoresNothing(string change, string field)
    {
        var id = $"p-{Guid.NewGuid():N}";
        var valid = Valid(id);
        var settings = change switch
        {
            "overlap" => valid with { Overlap = 101 },
            "leaseSeconds" => valid with { LeaseSeconds = 0 },
            "maxAttempts" => valid with { MaxAttempts = 1001 },
            "reward" => valid with { Reward = 1_000_000.0001m },
            "rewardDecimals" => valid with { Reward = 0.00001m },
            "requirement" => valid with { Requirements = [new SkillRequirement("tagging", 0)] },
            "requirementSkill" => valid with { Requirements = [new SkillRequirement("no spaces", 1)] },
            "quality" => valid with { Quality = new QualityRule(5, 1.5) },
            "exam" => valid with { Exam = new ExamRule("tagging", 101, 0.5) },
            "reviewRequirement" => valid with { Review = new ReviewRule(ReviewMode.Crowd, 60, [new SkillRequirement("tagging", 0)], 0m) },
            "dynamicOverlapAlone" => valid with { DynamicOverlap = new DynamicOverlapRule(5, 0.6) },
            "dynamicOverlapMax" => valid with { Aggregation = new AggregationRule(AggregationMethod.Majority, null), DynamicOverlap = new DynamicOverlapRule(2, 0.6) },
            "dynamicOverlapAgreement" => valid with { Aggregation = new AggregationRule(AggregationMethod.Majority, null), DynamicOverlap = new DynamicOverlapRule(5, 1.5) },
            "aggregationField" => valid with { Aggregation = new AggregationRule(AggregationMethod.DawidSkene, "") },
            "reviewReward" => valid with { Review = new ReviewRule(ReviewMode.Crowd, 60, [], 1_000_000.5m) },
            "autoAccept" => valid with { Review = new ReviewRule(ReviewMode.Requester, 0, [], 0m) },
            _ => throw new ArgumentOutOfRangeException(nameof(change)),
        };
        var project = Grains.GetGrain<IProjectGrain>(id);

        var refused = await project.CreateAsync(null, settings);

        Assert.Equal(ErrorKind.Validation, refused.Error);
        Assert.Contains(field + ":", refused.Detail, StringComparison.Ordinal);
        Assert.Null(await project.GetAsync());
        Assert.True((await project.CreateAsync(null, valid)).IsSuccess, "the valid settings are taken afterwards");
    }

    [Fact]
    public async Task ProjectGrain_RefusesAPatchOutOfRange_AndKeepsItsSettings()
    {
        var id = $"p-{Guid.NewGuid():N}";
        var project = Grains.GetGrain<IProjectGrain>(id);
        Assert.True((await project.CreateAsync(null, Valid(id))).IsSuccess);

        var refused = await project.UpdateAsync(new ProjectPatch(ProjectStatus.Paused, 7, -1m, 86_401, null));

        Assert.Equal(ErrorKind.Validation, refused.Error);
        Assert.Contains("reward:", refused.Detail, StringComparison.Ordinal);
        Assert.Contains("leaseSeconds:", refused.Detail, StringComparison.Ordinal);
        var view = (await project.GetAsync())!;
        Assert.Equal((ProjectStatus.Open, 0, 0.05m, 300), (view.Status, view.Settings.Priority, view.Settings.Reward, view.Settings.LeaseSeconds));
    }

    [Fact]
    public async Task WorkerGrain_RefusesALeaseLimitOrLevelOutOfRange_AndStoresNothing()
    {
        var worker = Grains.GetGrain<IWorkerGrain>($"w-{Guid.NewGuid():N}");

        var refused = await worker.CreateAsync(null, 0, [1, 2, 3]);
        Assert.Equal(ErrorKind.Validation, refused.Error);
        Assert.Contains("maxActiveLeases:", refused.Detail, StringComparison.Ordinal);
        Assert.Null(await worker.GetAsync());

        Assert.True((await worker.CreateAsync(null, WorkerRules.DefaultMaxActiveLeases, [1, 2, 3])).IsSuccess);
        var badLevel = await worker.CertifyAsync("tagging", 101, CertificationSource.Admin);
        Assert.Equal(ErrorKind.Validation, badLevel.Error);
        Assert.Contains("level:", badLevel.Detail, StringComparison.Ordinal);
        Assert.Empty((await worker.GetAsync())!.Certifications);
    }
}
