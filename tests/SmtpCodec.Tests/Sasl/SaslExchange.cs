using System.Buffers;
using System.Text;
using SmtpCodec.Protocol;
using SmtpCodec.Sasl;

namespace SmtpCodec.Tests.Sasl;

/// <summary>Drives a client step by step as the connection layer would, with text in and out.</summary>
internal static class SaslExchange
{
    public static string InitialResponse(SaslClient client)
    {
        var response = new byte[4096];
        Assert.Equal(OperationStatus.Done, client.WriteInitialResponse(response, out int written, out SmtpCodecError error));
        Assert.Equal(SmtpCodecError.None, error);
        return Encoding.UTF8.GetString(response, 0, written);
    }

    public static string Answer(SaslClient client, string challenge)
    {
        var response = new byte[4096];
        OperationStatus status = client.EvaluateChallenge(Encoding.UTF8.GetBytes(challenge), response, out int written, out SmtpCodecError error);
        Assert.True(status == OperationStatus.Done, $"{status} {error}");
        return Encoding.UTF8.GetString(response, 0, written);
    }

    public static SmtpCodecError Refusal(SaslClient client, string challenge)
    {
        var response = new byte[4096];
        Assert.Equal(OperationStatus.InvalidData, client.EvaluateChallenge(Encoding.UTF8.GetBytes(challenge), response, out _, out SmtpCodecError error));
        return error;
    }

    public static string Base64(string raw) => Convert.ToBase64String(Encoding.UTF8.GetBytes(raw));
}
