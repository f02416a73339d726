// what: JDK HttpServer (a pool of 4 threads) run with -Xmx64m that makes 32 KiB of garbage
// per request and keeps nothing: the heap fills to its limit between collections and RSS
// holds near it.
// behaviour: memory limit
// expect: stable
// accept: stable, bounded
// flags: -Xmx64m
// quick: yes
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

public class GarbageXmx {
  static volatile byte[] sink;

  public static void main(String[] args) throws Exception {
    // Without it the server waits on delayed ACKs: about 1,000 requests/s whatever the CPU.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      byte[] scratch = new byte[32 * 1024];
      java.util.Arrays.fill(scratch, (byte) 3);
      sink = scratch;
      byte[] body = "ok\n".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
