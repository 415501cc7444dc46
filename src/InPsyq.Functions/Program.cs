using InPsyq.Weekly.Hosting;
using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;

// The composition root of the Azure Functions app: the same library composition as the standalone host.
var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.Services
    .AddInPsyqWeekly(builder.Configuration)
    .AddInPsyqWeeklyHttp(builder.Configuration);

builder.Build().Run();
