// what: JDK HttpServer (a pool of 4 threads) that keeps a 1 KiB direct ByteBuffer per request
// (native memory outside the Java heap; only the small buffer objects are on the heap).
// behaviour: native
// expect: growth
// accept: growth
// leak: 1 KiB per request
// flags: -XX:MaxDirectMemorySize=2g
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;

public class DirectLeak {
  static final List<ByteBuffer> KEPT = new ArrayList<>();

  public static void main(String[] args) throws Exception {
    // Without it the server waits on delayed ACKs: about 1,000 requests/s whatever the CPU.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      ByteBuffer b = ByteBuffer.allocateDirect(1024);
      while (b.hasRemaining()) b.put((byte) 4);
      synchronized (KEPT) { KEPT.add(b); }
      byte[] body = "ok\n".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
