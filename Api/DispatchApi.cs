using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Dispatch.Api.Auth;
using Dispatch.Api.Money;
using Dispatch.Api.OpenApi;
using Dispatch.Api.Projects;
using Dispatch.Api.Requesters;
using Dispatch.Api.Work;
using Dispatch.Api.Workers;
using Dispatch.Events;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Dispatch.Api;

public static class DispatchApi
{
    /// <summary>
    /// Maps every endpoint of the Dispatch HTTP API under <c>/v1</c>. Needs a silo with <c>AddDispatch</c> in the same
    /// host (it reads that silo's work signals and event interest); settings come from the <c>Dispatch</c>
    /// configuration section, and a missing admin key stops the host here, at start, with a sentence saying so.
    /// </summary>
    public static RouteGroupBuilder MapDispatchApi(this IEndpointRouteBuilder app)
    {
        var options = new DispatchApiOptions();
        app.ServiceProvider.GetRequiredService<IConfiguration>().GetSection(DispatchApiOptions.Section).Bind(options);
        var problems = options.Problems();
        if (problems.Count > 0)
        {
            throw new OptionsValidationException(DispatchApiOptions.Section, typeof(DispatchApiOptions), problems);
        }

        var grains = app.ServiceProvider.GetRequiredService<IGrainFactory>();
        var time = app.ServiceProvider.GetService<TimeProvider>() ?? TimeProvider.System;
        var limiter = new CallerRateLimiter(options.RateLimits);
        var auth = new ApiAuth(new CallerAuthenticator(grains, Secrets.Hash(options.AdminKey!), time, limiter), limiter, options);

        var v1 = app.MapGroup("/v1").AddEndpointFilter<UnavailableFilter>().Refuses(ProblemType.Unavailable);
        v1.MapRequestersApi(auth);
        v1.MapWorkersApi(auth);
        v1.MapMoneyApi(auth);
        v1.MapProjectsApi(auth);
        v1.MapTasksApi(auth);
        v1.MapResultsApi(auth);
        v1.MapWebhooksApi(auth);
        v1.MapAggregationApi(auth);
        v1.MapSubmissionsApi(auth);
        v1.MapEventsApi(auth, new EventStreamSlots(options.RateLimits.EventStreamsPerCaller));
        v1.MapWorkApi(auth, new WorkWaiters(app.ServiceProvider.GetRequiredService<IWorkSignals>(), time, app.ServiceProvider.GetService<IMeterFactory>()));
        // Unknown paths under /v1 answer like every other error of the API.
        v1.MapFallback("{**path}", (HttpContext http) => Problems.NotFound($"No endpoint answers {http.Request.Method} {http.Request.Path}."))
            .ExcludeFromDescription();
        return v1;
    }
}
