using Dispatch.Grains.Aggregation;

namespace Dispatch.Tests.Aggregation;

/// <summary>Majority at completion (docs/api.md, Aggregation): answers compared as JSON, ties to the earliest to reach the count.</summary>
public sealed class MajorityVoteTests
{
    [Fact]
    public void Answers_AreComparedAsJson_IgnoringKeyOrderWhitespaceAndNumberSpelling()
    {
        Assert.Equal(Answers.Of("""{"a":1.0,"b":[2,"x"]}""", null).Key, Answers.Of("""{ "b": [2e0, "x"], "a": 1 }""", null).Key);
        Assert.NotEqual(Answers.Of("""{"a":1}""", null).Key, Answers.Of("""{"a":"1"}""", null).Key);
        Assert.Equal(("\"cat\"", "\"cat\""), Answers.Of("""{"label":"cat","note":"x"}""", "label"));
        Assert.Equal(("null", "null"), Answers.Of("\"cat\"", "label"));
    }

    [Fact]
    public void TheMostGivenAnswerWins_WithItsShare()
    {
        var aggregate = MajorityVote.Of(["\"dog\"", "\"cat\"", "\"cat\"", "\"bird\""], null)!;
        Assert.Equal(("\"cat\"", 0.5), (aggregate.ValueJson, aggregate.Confidence));
        Assert.Null(MajorityVote.Of([], null));
    }

    [Fact]
    public void ATie_GoesToTheAnswerThatReachedTheCountFirst()
    {
        // dog reaches 2 at the fourth submission, cat only at the fifth.
        Assert.Equal("\"dog\"", MajorityVote.Of(["\"cat\"", "\"dog\"", "\"bird\"", "\"dog\"", "\"cat\""], null)!.ValueJson);
        Assert.Equal("\"cat\"", MajorityVote.Of(["\"cat\"", "\"dog\""], null)!.ValueJson);
        Assert.Equal("""{"label":"b"}""", MajorityVote.Of(["""{"label":"b"}""", """{"label":"a"}"""], null)!.ValueJson);
    }
}
