namespace InPsyq.Weekly.Primitives;

/// <summary>
/// Who called, when a request authenticated with a Microsoft Entra token: the principal's object id (<c>oid</c>) and
/// the client application's id (<c>azp</c> in v2 tokens, <c>appid</c> in v1). Recorded on the audit row of the run.
/// </summary>
public sealed record CallerIdentity(string? ObjectId, string? AppId);
