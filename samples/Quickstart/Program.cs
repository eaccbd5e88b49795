// FluentAttrib quickstart: a real pretrained ResNet18 explained on real photos (see Cli.Usage, or run with --help).
using Quickstart;

return Cli.Run(args, Console.Out, Console.Error, interactive: !Console.IsOutputRedirected);
