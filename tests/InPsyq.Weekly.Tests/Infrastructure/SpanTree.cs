using System.Diagnostics;

namespace InPsyq.Weekly.Tests.Infrastructure;

public static class SpanTree
{
    /// <summary>The spans named <paramref name="name"/> in <paramref name="trace"/>, asserting each is a child of one of <paramref name="parents"/>.</summary>
    public static List<Activity> ChildrenOf(IEnumerable<Activity> parents, IEnumerable<Activity> trace, string name)
    {
        var parentIds = parents.Select(parent => parent.SpanId).ToHashSet();
        var children = trace.Where(span => span.OperationName == name).ToList();
        Assert.NotEmpty(children);
        Assert.All(children, child => Assert.Contains(child.ParentSpanId, parentIds));
        return children;
    }
}
