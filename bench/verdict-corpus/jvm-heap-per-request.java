// what: JDK HttpServer (a pool of 4 threads) that keeps a 1 KiB byte[] per request in a static
// list, forever.
// behaviour: heap per request
// expect: growth
// accept: growth
// leak: 1 KiB per request
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

public class HeapPerRequest {
  static final List<byte[]> KEPT = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    // Without it the server waits on delayed ACKs: about 1,000 requests/s whatever the CPU.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      byte[] block = new byte[1024];
      java.util.Arrays.fill(block, (byte) 1);
      synchronized (KEPT) { KEPT.add(block); }
      byte[] body = "ok\n".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
