namespace InPsyq.Weekly.Scoring;

public enum IndexDirection
{
    HigherIsWorse,
    HigherIsBetter,
}
