using Dispatch.Api.Auth;
using Microsoft.Extensions.Options;
using Orleans.Dashboard;

namespace Dispatch.Silo;

/// <summary>The Orleans Dashboard for operators: off by default, and only for holders of the admin key.</summary>
public static class DashboardHostExtensions
{
    /// <summary>Adds the dashboard's statistics to the silo when <c>Dispatch:Dashboard:Enabled</c> is true.</summary>
    public static ISiloBuilder AddDispatchDashboard(this ISiloBuilder silo, IConfiguration configuration)
    {
        if (Bind(configuration).Enabled)
        {
            silo.AddDashboard();
        }

        return silo;
    }

    /// <summary>Serves the dashboard behind the admin key when it is enabled.</summary>
    public static WebApplication MapDispatchDashboard(this WebApplication app)
    {
        var options = Bind(app.Configuration);
        if (options.Enabled)
        {
            app.UseAdminKeyFor(options.Path);
            app.MapOrleansDashboard(options.Path);
        }

        return app;
    }

    private static OperatorDashboardOptions Bind(IConfiguration configuration)
    {
        var options = new OperatorDashboardOptions();
        configuration.GetSection(OperatorDashboardOptions.Section).Bind(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(OperatorDashboardOptions.Section, typeof(OperatorDashboardOptions), problems);
        }

        return options;
    }
}
