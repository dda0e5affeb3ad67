namespace SmtpCodec.Cli.Verbs;

/// <summary>The FILE argument shared by verbs that read bytes: a path, or stdin when absent or "-".</summary>
internal static class InputFile
{
    /// <summary>Opens the input, or writes one clear line to stderr and returns null.</summary>
    public static Stream? Open(string? path, string verb)
    {
        if (path is null or "-")
        {
            return Console.OpenStandardInput();
        }

        try
        {
            return File.OpenRead(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"smtpcodec {verb}: cannot read '{path}': {e.Message}");
            return null;
        }
    }
}
