using System.Text.Json.Nodes;
using InPsyq.Weekly.Interpretation;
using InPsyq.Weekly.Pipeline;
using InPsyq.Weekly.Tests.LlmQuota;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using NSubstitute;
using NSubstitute.ExceptionExtensions;
using static InPsyq.Weekly.Tests.Interpretation.InterpretationTestData;

namespace InPsyq.Weekly.UnitTests.Interpretation;

/// <summary>The repair and fallback logic against a substituted chat client; the real HTTP path is in <c>AzureOpenAIStageTests</c> (integration project).</summary>
public sealed class LlmInterpreterTests
{
    private readonly ILlmChatClient _chat = Substitute.For<ILlmChatClient>();

    [Fact]
    public void The_prompt_is_pinned_to_its_version_so_that_changing_it_rewrites_the_stored_interpretations()
    {
        var prompt = string.Join("\n---\n",
            InterpretationPrompt.System,
            InterpretationPrompt.User(Input()),
            InterpretationPrompt.Repair([new InterpretationViolation("executive_summary", "max_words", "95 words")]));

        // The prompt version is part of the interpretation input hash, so a prompt change (or a change of the input
        // JSON the model sees) writes every interpretation again only with a new PipelineVersions.Prompt; pin it here.
        Assert.Equal(("prompt-v1", "21ae679c8e5fa4456382c9cb41b02d1b87f582897e28709d03f4bf4cd89dfc25"), (PipelineVersions.Prompt, Sha256Hex(prompt)));
    }

    [Fact]
    public async Task Valid_output_is_returned_with_its_tokens()
    {
        Reply(new LlmReply(ValidSectionsJson(), false, new TokenUsage(100, 50)));

        var result = await Interpreter().InterpretAsync(Input(), CancellationToken.None);

        Assert.Equal("gpt-test", result.ModelId);
        Assert.Equal(new TokenUsage(100, 50), result.Usage);
        Assert.False(result.FellBackToOffline);
        await _chat.Received(1).CompleteAsync(Arg.Any<IReadOnlyList<LlmMessage>>(), Arg.Any<JsonObject>(), Arg.Any<CancellationToken>());
    }

    [Fact]
    public async Task Invalid_output_gets_one_repair_call_that_lists_the_violations()
    {
        Reply(new LlmReply("{not json", false, new TokenUsage(100, 10)), new LlmReply(ValidSectionsJson(), false, new TokenUsage(150, 60)));

        var result = await Interpreter().InterpretAsync(Input(), CancellationToken.None);

        Assert.Equal(new TokenUsage(250, 70), result.Usage);
        var calls = _chat.ReceivedCalls().ToList();
        Assert.Equal(2, calls.Count);
        var repair = (IReadOnlyList<LlmMessage>)calls[1].GetArguments()[0]!;
        Assert.Equal([LlmRole.System, LlmRole.User, LlmRole.Assistant, LlmRole.User], repair.Select(message => message.Role));
        Assert.Equal("{not json", repair[2].Content);
        Assert.Contains("$: is not valid JSON", repair[3].Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_output_twice_fails_with_invalid_output_and_the_tokens_spent()
    {
        var broken = ValidSections();
        broken["executive_summary"] = "Too short.";
        Reply(new LlmReply(broken.ToJsonString(), false, new TokenUsage(100, 10)), new LlmReply(broken.ToJsonString(), false, new TokenUsage(120, 12)));

        var failure = await Assert.ThrowsAsync<InterpretationFailedException>(() => Interpreter().InterpretAsync(Input(), CancellationToken.None));

        Assert.Equal(InterpretationFailedException.InvalidOutput, failure.Code);
        Assert.Equal(new TokenUsage(220, 22), failure.Usage);
        Assert.Contains("$.executive_summary (word_count)", failure.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Too short", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_output_twice_falls_back_to_offline_when_allowed()
    {
        Reply(new LlmReply("[]", false, new TokenUsage(100, 10)), new LlmReply("[]", false, new TokenUsage(100, 10)));

        var result = await Interpreter(fallback: true).InterpretAsync(Input(), CancellationToken.None);

        Assert.Equal(OfflineInterpreter.ModelId, result.ModelId);
        Assert.True(result.FellBackToOffline);
        Assert.Equal(new TokenUsage(200, 20), result.Usage);
        Assert.Empty(InterpretationValidator.Validate(result.Sections, Input()));
    }

    [Fact]
    public async Task A_content_filter_refusal_fails_at_once_without_a_repair_call()
    {
        Reply(new LlmReply(string.Empty, true, new TokenUsage(90, 0)));

        var failure = await Assert.ThrowsAsync<InterpretationFailedException>(() => Interpreter(fallback: true).InterpretAsync(Input(), CancellationToken.None));

        Assert.Equal(InterpretationFailedException.ContentFiltered, failure.Code);
        Assert.Equal(new TokenUsage(90, 0), failure.Usage);
        Assert.Single(_chat.ReceivedCalls());
    }

    [Fact]
    public async Task An_unavailable_service_during_repair_keeps_the_first_call_tokens()
    {
        _chat.CompleteAsync(default!, default!, default).ReturnsForAnyArgs(
            Task.FromResult(new LlmReply("{}", false, new TokenUsage(100, 10))),
            Task.FromException<LlmReply>(new InterpretationFailedException(InterpretationFailedException.LlmUnavailable, "down", TokenUsage.None)));

        var failure = await Assert.ThrowsAsync<InterpretationFailedException>(() => Interpreter().InterpretAsync(Input(), CancellationToken.None));

        Assert.Equal(InterpretationFailedException.LlmUnavailable, failure.Code);
        Assert.Equal(new TokenUsage(100, 10), failure.Usage);
    }

    [Fact]
    public async Task Cancellation_propagates()
    {
        _chat.CompleteAsync(default!, default!, default).ThrowsAsyncForAnyArgs(new OperationCanceledException());

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Interpreter().InterpretAsync(Input(), CancellationToken.None));
    }

    private void Reply(LlmReply first, params LlmReply[] rest) =>
        _chat.CompleteAsync(default!, default!, default).ReturnsForAnyArgs(first, rest);

    private LlmInterpreter Interpreter(bool fallback = false) => new(
        _chat,
        new OfflineInterpreter(),
        QuotaGovernors.Ungoverned(),
        Options.Create(new LlmOptions { Endpoint = new Uri("https://example.invalid"), Deployment = "gpt-test", FallbackToOffline = fallback }),
        NullLogger<LlmInterpreter>.Instance);
}
