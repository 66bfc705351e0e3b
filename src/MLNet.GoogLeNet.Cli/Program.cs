using MLNet.GoogLeNet.Cli;

return CliApplication.Run(args);
