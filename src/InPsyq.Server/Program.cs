using InPsyq.Server.Cli;

return await WeeklyCli.InvokeAsync(args);
