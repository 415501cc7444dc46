using System.Diagnostics.CodeAnalysis;

namespace InPsyq.Weekly.Scoring;

/// <summary>Either a standard score in 0..1 or the <see cref="MeasurementError"/> that fails the team.</summary>
public sealed record StandardScoreResult
{
    private StandardScoreResult(double? score, MeasurementError? error) => (Score, Error) = (score, error);

    public double? Score { get; }

    public MeasurementError? Error { get; }

    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsValid => Error is null;

    internal static StandardScoreResult Valid(double score) => new(score, null);

    internal static StandardScoreResult Invalid(MeasurementError error) => new(null, error);
}
