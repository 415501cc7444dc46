using System.Globalization;

namespace InPsyq.Weekly.Primitives;

/// <summary>Names this process in lock metadata and audit rows: the Azure instance id when there is one.</summary>
public sealed class HostIdentity
{
    public HostIdentity()
    {
        var instance = Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID");
        var machine = string.IsNullOrEmpty(instance) ? Environment.MachineName : instance[..Math.Min(12, instance.Length)];
        Name = string.Create(CultureInfo.InvariantCulture, $"{machine}/{Environment.ProcessId}");
    }

    public string Name { get; }
}
