using Scalar.AspNetCore;

namespace Dispatch.Silo;

/// <summary>
/// A readable API reference page (Scalar) at <c>/scalar</c>, drawn from the served OpenAPI document. It needs no key,
/// like the document itself; it is on in Development and off elsewhere unless <c>Dispatch:ApiReference:Enabled</c>
/// says otherwise, since a production host need not advertise its API.
/// </summary>
public static class ApiReference
{
    public const string EnabledKey = "Dispatch:ApiReference:Enabled";

    public const string Path = "/scalar";

    public static WebApplication MapApiReference(this WebApplication app)
    {
        if (app.Configuration.GetValue<bool?>(EnabledKey) ?? app.Environment.IsDevelopment())
        {
            app.MapScalarApiReference(Path, options =>
            {
                options.Title = "Dispatch HTTP API";
                // The page must work without any key, ours or a vendor's, and send nothing anywhere by itself.
                options.Agent = new ScalarAgentOptions { Disabled = true };
                options.Telemetry = false;
            });
        }

        return app;
    }
}
