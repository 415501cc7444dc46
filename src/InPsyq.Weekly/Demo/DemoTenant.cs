using System.Security.Cryptography;
using System.Text;

namespace InPsyq.Weekly.Demo;

/// <summary>The shape of the demo tenant: two orgs, their teams, dependencies and survey items.</summary>
public static class DemoTenant
{
    public const int DefaultSeed = 42;
    public const int Weeks = 13;

    public static readonly string[] Factors =
    [
        "emotional_load", "cognitive_dissonance", "meaning", "trust_leadership", "trust_peers",
        "psych_safety", "control", "autonomy_friction", "engagement", "adaptive_capacity",
    ];

    /// <summary>Org name, then its teams: name, respondents, archived, and a weekly drift of strain-like factors.</summary>
    internal static readonly (string Org, (string Team, int Respondents, bool Archived, double Drift)[] Teams)[] Orgs =
    [
        ("Northwind Health", [
            ("Platform", 11, false, 0.000),
            ("Mobile Apps", 9, false, 0.018),
            ("Web Frontend", 8, false, 0.004),
            ("Data & Analytics", 10, false, -0.012),
            ("Clinical Support", 12, false, 0.010),
            ("Night Shift", 4, false, 0.000),
            ("Legacy Ops", 6, true, 0.000),
        ]),
        ("Contoso Care", [
            ("Intake", 7, false, 0.006),
            ("Care Coordination", 9, false, 0.022),
            ("Billing", 8, false, -0.006),
            ("Field Services", 10, false, 0.000),
            ("Quality & Compliance", 6, false, 0.012),
        ]),
    ];

    /// <summary>Upstream → downstream ("the downstream team depends on the upstream team").</summary>
    internal static readonly (string Upstream, string Downstream, string Kind, double Weight)[] Dependencies =
    [
        ("Platform", "Mobile Apps", "process", 0.8),
        ("Platform", "Web Frontend", "process", 0.7),
        ("Data & Analytics", "Platform", "organizational", 0.4),
        ("Clinical Support", "Night Shift", "temporal_deadline", 0.6),
        ("Platform", "Legacy Ops", "process", 0.5),
        ("Intake", "Care Coordination", "process", 0.9),
        ("Care Coordination", "Field Services", "temporal_deadline", 0.7),
        ("Billing", "Intake", "organizational", 0.3),
        ("Quality & Compliance", "Care Coordination", "organizational", 0.5),
    ];

    /// <summary>A stable UUID for a demo entity, derived from the seed and a name (RFC 4122 version 5 layout).</summary>
    public static Guid IdOf(int seed, string kind, string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"inpsyq-demo/{seed}/{kind}/{name}"));
        var bytes = hash.AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes, bigEndian: true);
    }
}
