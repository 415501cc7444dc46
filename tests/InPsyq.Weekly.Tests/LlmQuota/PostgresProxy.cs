using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace InPsyq.Weekly.Tests.LlmQuota;

/// <summary>
/// A TCP relay on a free loopback port in front of the shared Postgres that a test can freeze: connections stay open
/// but nothing passes, so Postgres "does not answer" (no refusal, no error). Thawing drops the frozen connections.
/// </summary>
internal sealed class PostgresProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly IPEndPoint _target;
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<TcpClient> _connections = [];
    private volatile bool _frozen;
    private Task _accepting = Task.CompletedTask;

    private PostgresProxy(IPEndPoint target) => _target = target;

    public string ConnectionString { get; private set; } = string.Empty;

    public static PostgresProxy Start(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var proxy = new PostgresProxy(new IPEndPoint(IPAddress.Parse(builder.Host!), builder.Port));
        proxy._listener.Start();
        builder.Host = "127.0.0.1";
        builder.Port = ((IPEndPoint)proxy._listener.LocalEndpoint).Port;
        builder.Pooling = true;
        proxy.ConnectionString = builder.ConnectionString;
        proxy._accepting = proxy.AcceptAsync();
        return proxy;
    }

    public void Freeze() => _frozen = true;

    public void Thaw()
    {
        lock (_connections)
        {
            _connections.ForEach(connection => connection.Dispose());
            _connections.Clear();
        }

        _frozen = false;
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _listener.Stop();
        Thaw();
        await _accepting.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stopping.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stopping.Token);
            var server = new TcpClient();
            lock (_connections)
            {
                _connections.Add(client);
                _connections.Add(server);
            }

            _ = RelayAsync(client, server);
        }
    }

    private async Task RelayAsync(TcpClient client, TcpClient server)
    {
        try
        {
            await server.ConnectAsync(_target, _stopping.Token);
            await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException)
        {
            // A dropped connection.
        }
        finally
        {
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await from.ReadAsync(buffer, _stopping.Token)) > 0)
        {
            while (_frozen)
            {
                await Task.Delay(20, _stopping.Token);
            }

            await to.WriteAsync(buffer.AsMemory(0, read), _stopping.Token);
        }
    }
}
