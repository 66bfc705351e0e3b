using MLNet.GoogLeNet.Cli.Commands;
using Spectre.Console.Cli;

var app = new CommandApp();
app.Configure(config =>
{
    config.SetApplicationName("googlenet");
    config.AddCommand<InfoCommand>("info")
        .WithDescription("Print the network's shape trace and parameter count.");
});
return await app.RunAsync(args);
