using Dispatch.Grains.Postgres;
using Npgsql;

namespace Dispatch.Tests.Postgres;

public sealed class ConnectionStringDefaultsTests
{
    [Fact]
    public void BoundPool_WithoutAPoolSize_BoundsItToTheDefault()
    {
        var bounded = new NpgsqlConnectionStringBuilder(PostgresConnectionStrings.BoundPool("Host=db;Database=dispatch"));

        Assert.Equal(PostgresConnectionStrings.DefaultMaxPoolSize, bounded.MaxPoolSize);
    }

    [Theory]
    [InlineData("Host=db;Maximum Pool Size=30")]
    [InlineData("Host=db;MaxPoolSize=30")]
    [InlineData("Host=db;maxpoolsize=30")]
    public void BoundPool_KeepsThePoolSizeTheOperatorWrote(string connectionString)
    {
        var kept = new NpgsqlConnectionStringBuilder(PostgresConnectionStrings.BoundPool(connectionString));

        Assert.Equal(30, kept.MaxPoolSize);
    }

    [Fact]
    public void ForTaskStore_PreparesStatementsAndSkipsTheResetByDefault()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionStrings.ForTaskStore("Host=db"));

        Assert.Equal(PostgresConnectionStrings.DefaultMaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=force_custom_plan", tuned.Options);
    }

    [Fact]
    public void ForTaskStore_KeepsWhatTheOperatorWrote()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionStrings.ForTaskStore("Host=db;Max Auto Prepare=0;No Reset On Close=false;Options=-c work_mem=8MB"));

        Assert.Equal(0, tuned.MaxAutoPrepare);
        Assert.False(tuned.NoResetOnClose);
        Assert.Equal("-c work_mem=8MB", tuned.Options);
    }

    [Fact]
    public void ForTaskWriter_KeepsAPoolOfItsWriters_AndPlansEachBatch()
    {
        var tuned = new NpgsqlConnectionStringBuilder(PostgresConnectionStrings.ForTaskWriter("Host=db;Maximum Pool Size=30", writers: 2));

        Assert.Equal(2, tuned.MaxPoolSize);
        Assert.Equal(PostgresConnectionStrings.DefaultMaxAutoPrepare, tuned.MaxAutoPrepare);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("-c plan_cache_mode=force_custom_plan", tuned.Options);
    }
}
