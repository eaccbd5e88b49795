// FluentAttrib with ONNX Runtime: an image classifier in ONNX explained with Occlusion, RISE and KernelShap over
// superpixels, every forward pass run by ONNX Runtime (see Cli.Usage, or run with --help).
using OnnxImage;

return Cli.Run(args, Console.Out, Console.Error);
