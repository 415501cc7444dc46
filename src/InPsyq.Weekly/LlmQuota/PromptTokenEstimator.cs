namespace InPsyq.Weekly.LlmQuota;

/// <summary>
/// Estimates a prompt's tokens from its characters (the messages and the response schema), as Azure OpenAI counts
/// them at admission. The ratio starts high, so the first calls are overcharged rather than under, and then follows
/// the prompt tokens the service reports, with a small margin. Reports only improve the estimate: a call is never
/// charged less than its estimate afterwards.
/// </summary>
public sealed class PromptTokenEstimator
{
    /// <summary>English prose and JSON run at about a quarter of a token per character; a third is on the safe side.</summary>
    public const double InitialTokensPerCharacter = 1.0 / 3;

    /// <summary>The weight of each report in the running ratio.</summary>
    private const double ReportWeight = 0.25;

    private const double Margin = 1.03;

    private readonly Lock _gate = new();
    private double _tokensPerCharacter = InitialTokensPerCharacter;
    private bool _learned;

    public long Estimate(int characters)
    {
        lock (_gate)
        {
            return (long)Math.Ceiling(characters * _tokensPerCharacter * (_learned ? Margin : 1));
        }
    }

    public void Learn(int characters, long reportedPromptTokens)
    {
        if (characters <= 0 || reportedPromptTokens <= 0)
        {
            return;
        }

        var observed = (double)reportedPromptTokens / characters;
        lock (_gate)
        {
            _tokensPerCharacter = _learned ? _tokensPerCharacter + (ReportWeight * (observed - _tokensPerCharacter)) : observed;
            _learned = true;
        }
    }
}
