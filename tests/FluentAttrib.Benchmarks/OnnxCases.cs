using System.Diagnostics;
using FluentAttrib;
using FluentAttrib.Onnx;
using FluentAttrib.Pretrained;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Onnx;
using static TorchSharp.torch;

/// <summary>
/// FluentAttrib.Onnx on ML.NET's ResNet18 backbone ONNX: a method through the session against the session's own
/// inference of the same number of images in the same process. "onnx-b1" is the file as shipped (input [1, 3, 224, 224]:
/// the reference is one Run per image on a prepared input); "onnx-dyn" is a copy with a dynamic batch dimension (the
/// reference is Run on a prepared batch of 16 images). Ratio = reference time for that many images / the method's time.
/// </summary>
internal static class OnnxCases
{
    public static readonly string[] Names = ["onnx-b1/occlusion", "onnx-b1/rise", "onnx-dyn/occlusion", "onnx-dyn/rise"];

    public static int Run(string name, bool quick)
    {
        var parts = name.Split('/');
        bool dynamic = parts[0] == "onnx-dyn";
        using var options = new SessionOptions { IntraOpNumThreads = Environment.ProcessorCount };
        using var session = dynamic
            ? new InferenceSession(DynamicCopy(PretrainedResNet18.NetworkPath), options)
            : new InferenceSession(PretrainedResNet18.NetworkPath, options);
        string input = session.InputMetadata.Keys.Single(), output = session.OutputMetadata.Keys.Single();
        const int size = 224, batch = 16;
        TorchSharp.torch.random.manual_seed(0);
        var image = randn(1, 3, size, size) * 60;

        // The session's own inference, per image: prepared inputs, no conversion in the timed loop.
        int perRun = dynamic ? batch : 1;
        var data = image.expand(perRun, -1, -1, -1).contiguous().data<float>().ToArray();
        using var prepared = OrtValue.CreateTensorValueFromMemory(data, [perRun, 3, size, size]);
        using var runOptions = new RunOptions();
        void Reference()
        {
            using var results = session.Run(runOptions, [input], [prepared], [output]);
        }
        Reference(); // warm-up
        int runs = quick ? 4 : dynamic ? 8 : 64;
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < runs; i++) Reference();
        double perImage = sw.Elapsed.TotalSeconds / (runs * perRun);
        process.Refresh();
        double cpuPerImage = (process.TotalProcessorTime - cpu0).TotalSeconds / (runs * perRun);

        var model = OnnxModel.From(session).Head(features => features.flatten(1));
        AttributionMethod method;
        long copies;
        string what;
        if (parts[1] == "occlusion")
        {
            method = Occlusion.Window(3, 45, 45).Stride(3, 9, 9);
            long windows = (long)Math.Pow((long)Math.Ceiling((size - 45) / 9.0) + 1, 2);
            copies = windows + 1;
            what = $"Occlusion 45/9, {windows} windows";
        }
        else
        {
            int masks = quick ? 64 : 512;
            method = Rise.Samples(masks).Seed(0);
            copies = masks;
            what = $"Rise, {masks} masks";
        }
        // Warm-up with a handful of copies (the code paths compiled), then the better of two rounds, as the issue timed Captum.
        var warmUp = parts[1] == "occlusion" ? Occlusion.Window(3, size, size) : (AttributionMethod)Rise.Samples(4).Seed(1);
        using (var w = Fluent.Explain(model).For(208).With(warmUp).Attribute(image)) _ = w.Value.sum().item<float>();
        double wall = double.MaxValue, cpu = double.MaxValue;
        for (int round = 0; round < (quick ? 1 : 2); round++)
        {
            process.Refresh();
            var cpu1 = process.TotalProcessorTime;
            var t = Stopwatch.StartNew();
            using (var a = Fluent.Explain(model).For(208).With(method).Attribute(image)) _ = a.Value.sum().item<float>();
            wall = Math.Min(wall, t.Elapsed.TotalSeconds);
            process.Refresh();
            cpu = Math.Min(cpu, (process.TotalProcessorTime - cpu1).TotalSeconds);
        }
        // Wall-clock ratio, and the same ratio in CPU time (less sensitive to other processes on a shared machine).
        Console.WriteLine($"{parts[0]} ResNet18 ONNX 224×224 {parts[1]}: {what}: {wall:F2} s = {perImage * copies / wall:F2}× the session's own " +
                          $"{(dynamic ? "batched (16) " : "per-image ")}inference ({perImage * 1000:F1} ms per image); in CPU time {cpuPerImage * copies / cpu:F2}× " +
                          $"({cpu:F1} s against {cpuPerImage * 1000:F1} ms per image); peak RSS {PeakRss() / 1048576.0:F0} MB");
        return 0;
    }

    private static byte[] DynamicCopy(string path)
    {
        var model = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        model.Graph.SetDim();
        return model.ToByteArray();
    }

    private static long PeakRss()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }
}
