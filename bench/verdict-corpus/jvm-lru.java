// what: JDK HttpServer (a pool of 4 threads) with an LRU (LinkedHashMap in access order,
// removeEldestEntry) of 20,000 entries of 1 KiB, keyed by request number: full after 20,000
// requests, a tenth into the first burst, and evicting from then on.
// behaviour: cache early
// expect: bounded
// accept: bounded, stable
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;

public class Lru {
  static final int CAPACITY = 20_000;
  static final Map<Long, byte[]> CACHE = new LinkedHashMap<>(CAPACITY, 0.75f, true) {
    @Override
    protected boolean removeEldestEntry(Map.Entry<Long, byte[]> eldest) {
      return size() > CAPACITY;
    }
  };
  static long served;

  public static void main(String[] args) throws Exception {
    // Without it the server waits on delayed ACKs: about 1,000 requests/s whatever the CPU.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      byte[] page = new byte[1024];
      java.util.Arrays.fill(page, (byte) 2);
      synchronized (CACHE) { CACHE.put(++served, page); }
      byte[] body = "ok\n".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
