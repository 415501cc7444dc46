namespace InPsyq.Weekly.Scoring;

/// <summary>A team's score for one factor: mean, sample sd, respondent count and standard error of the mean.</summary>
public sealed record FactorStats(double Mean, double Sd, int N, double Se);
