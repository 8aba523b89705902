using System.Globalization;
using Dispatch.Api.Auth;
using Dispatch.Api.OpenApi;
using Dispatch.Api.Projects;
using Dispatch.Common;
using Dispatch.Money;
using Dispatch.Workers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace Dispatch.Api.Money;

/// <summary>A worker's money: bonuses, payouts and the ledger with running balances.</summary>
public static class MoneyApi
{
    public static RouteGroupBuilder MapMoneyApi(this RouteGroupBuilder v1, ApiAuth auth)
    {
        var group = v1.MapGroup("/workers/{workerId}").WithTags("Money");
        group.MapPost("/bonuses", BonusAsync).Allow(auth, Roles.Admin | Roles.Requester)
            .WithName("PayBonus").WithSummary("Credit a worker a bonus for work in a project")
            .WithDescription("Paid once per `idempotencyKey`: the same key and body again answers `200` with the first answer; another body, `409 conflict`.")
            .Reads<BonusRequestBody>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict, ProblemType.TooLarge);
        group.MapPost("/payouts", PayoutAsync).Allow(auth, Roles.Admin)
            .WithName("PayOut").WithSummary("Pay money out of a worker's balance")
            .WithDescription("Never more than the balance (`409 insufficient-balance`, nothing stored). Paid once per `idempotencyKey`, as bonuses are.")
            .Reads<PayoutRequestBody>()
            .Refuses(ProblemType.Validation, ProblemType.NotFound, ProblemType.Conflict, ProblemType.InsufficientBalance, ProblemType.TooLarge);
        group.MapGet("/ledger", LedgerAsync).Allow(auth, Roles.Admin | Roles.Worker)
            .WithName("GetLedger").WithSummary("Page through a worker's ledger, oldest first, with running balances")
            .Refuses(ProblemType.Validation, ProblemType.NotFound);
        return group;
    }

    public static async Task<Results<Created<BonusResponse>, Ok<BonusResponse>, ProblemHttpResult>> BonusAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<BonusRequestBody>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var b = body.Value!;
        var request = new BonusRequest(b.ProjectId ?? "", b.Amount ?? 0m, b.Reason ?? "", b.IdempotencyKey ?? "");
        var validator = new Validator();
        validator.Id("workerId", workerId);
        validator.Id("projectId", b.ProjectId);
        Check(validator, b.Amount, MoneyRules.Check(request));
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        if (await ProjectAccess.CheckAsync(grains, http.Dispatch().Caller, request.ProjectId) is { } problem)
        {
            return problem;
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).AddBonusAsync(request);
        if (!result.IsSuccess)
        {
            return Problems.Of(result.Error, result.Detail ?? "");
        }

        var answer = BonusResponse.From(result.Value!);
        return result.Value!.Replayed ? TypedResults.Ok(answer) : TypedResults.Created((string?)null, answer);
    }

    public static async Task<Results<Created<PayoutResponse>, Ok<PayoutResponse>, ProblemHttpResult>> PayoutAsync(string workerId, HttpContext http, [FromServices] IGrainFactory grains)
    {
        var body = await JsonBody.ReadAsync<PayoutRequestBody>(http, http.Dispatch().Options.MaxBodyBytes);
        if (body.Problem is { } bodyProblem)
        {
            return bodyProblem;
        }

        var b = body.Value!;
        var request = new PayoutRequest(b.Amount ?? 0m, b.Reference ?? "", b.IdempotencyKey ?? "");
        var validator = new Validator();
        validator.Id("workerId", workerId);
        Check(validator, b.Amount, MoneyRules.Check(request));
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).PayOutAsync(request);
        if (!result.IsSuccess)
        {
            return Problems.Of(result.Error, result.Detail ?? "");
        }

        var answer = PayoutResponse.From(result.Value!);
        return result.Value!.Replayed ? TypedResults.Ok(answer) : TypedResults.Created((string?)null, answer);
    }

    public static async Task<Results<Ok<LedgerResponse>, ProblemHttpResult>> LedgerAsync(string workerId, string? after, int? limit, [FromServices] IGrainFactory grains)
    {
        var validator = new Validator();
        validator.Id("workerId", workerId);
        LedgerCursor? cursor = null;
        if (!string.IsNullOrEmpty(after) && !LedgerCursors.TryParse(after, out cursor))
        {
            validator.Add("after", "Must be a cursor returned as 'next'.");
        }

        validator.Range("limit", limit, 1, MoneyRules.MaxLedgerPage);
        if (!validator.IsValid)
        {
            return Problems.Validation(validator.Errors);
        }

        var result = await grains.GetReference<IWorkerGrain>(workerId).GetLedgerAsync(cursor, limit ?? Paging.DefaultLimit);
        return Answers.From(result, page => TypedResults.Ok(new LedgerResponse(
            [.. page.Items.Select(LedgerEntryResponse.From)],
            page.Next is { } next ? LedgerCursors.Format(next) : null)));
    }

    /// <summary>Adds the money rules' field errors; a missing amount is "Required." rather than out of range.</summary>
    private static void Check(Validator validator, decimal? amount, IReadOnlyList<(string Field, string Message)> errors)
    {
        validator.Required("amount", amount);
        foreach (var (field, message) in errors.Where(e => amount is not null || e.Field != "amount"))
        {
            validator.Add(field, message);
        }
    }
}

/// <summary>
/// The ledger's <c>next</c>: the time (in ticks) and id of the last entry of a page, as <c>ticks-ENTRYID</c>. Opaque to
/// callers; a page resumes after that entry, so entries never shift between pages.
/// </summary>
public static class LedgerCursors
{
    public static string Format(LedgerCursor cursor) =>
        string.Create(CultureInfo.InvariantCulture, $"{cursor.At.UtcTicks}-{cursor.EntryId}");

    public static bool TryParse(string text, out LedgerCursor? cursor)
    {
        cursor = null;
        var dash = text.IndexOf('-', StringComparison.Ordinal);
        if (dash <= 0
            || !long.TryParse(text.AsSpan(0, dash), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            || ticks > DateTimeOffset.MaxValue.UtcTicks
            || !LeaseIds.IsValid(text[(dash + 1)..]))
        {
            return false;
        }

        cursor = new LedgerCursor(new DateTimeOffset(ticks, TimeSpan.Zero), text[(dash + 1)..]);
        return true;
    }
}
