// what: JDK HttpServer (a pool of 4 threads) that starts a thread every 50th request, parked
// forever (a scheduler nobody shuts down).
// behaviour: tasks
// expect: growth
// accept: growth
// leak: 1 thread per 50 requests
// quick: yes
import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

public class ThreadLeak {
  static final AtomicLong SERVED = new AtomicLong();

  public static void main(String[] args) throws Exception {
    // Without it the server waits on delayed ACKs: about 1,000 requests/s whatever the CPU.
    System.setProperty("sun.net.httpserver.nodelay", "true");
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", Integer.parseInt(args[0])), 128);
    server.createContext("/", exchange -> {
      if (SERVED.incrementAndGet() % 50 == 0) {
        Thread t = new Thread(() -> { while (true) LockSupport.park(); });
        t.setDaemon(true);
        t.start();
      }
      byte[] body = "ok\n".getBytes();
      exchange.sendResponseHeaders(200, body.length);
      try (OutputStream out = exchange.getResponseBody()) { out.write(body); }
    });
    server.setExecutor(Executors.newFixedThreadPool(4));
    server.start();
  }
}
