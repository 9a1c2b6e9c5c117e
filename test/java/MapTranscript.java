// MapTranscript: the official Java client (the one inside the Hazelcast 5.7
// jar) runs a fixed sequence of IMap operations against one member or a
// cluster and prints one line per result. Run against Hazelcast 5.7 it gives
// the golden transcript (hazelcast-5.7.golden); run against memgrid it must
// give the same lines (run.sh compares them).
//
// Only what is deterministic is printed: values, booleans, sizes, sorted
// key sets, entry-view fields that do not depend on the clock, and listener
// events in the order a key's events are delivered.
//
// usage: java -cp hazelcast-5.7.0.jar:. MapTranscript CLUSTER ADDRESS...
import com.hazelcast.client.HazelcastClient;
import com.hazelcast.client.config.ClientConfig;
import com.hazelcast.core.EntryEvent;
import com.hazelcast.core.EntryView;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.map.listener.EntryAddedListener;
import com.hazelcast.map.listener.EntryRemovedListener;
import com.hazelcast.map.listener.EntryUpdatedListener;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

public class MapTranscript {
    /** A value of the application's own class: members store its bytes only. */
    static final class Order implements Serializable {
        private static final long serialVersionUID = 1L;
        final String customer;
        final int quantity;
        Order(String customer, int quantity) { this.customer = customer; this.quantity = quantity; }
        @Override public String toString() { return "Order(" + customer + "," + quantity + ")"; }
        @Override public boolean equals(Object o) {
            return o instanceof Order && ((Order) o).customer.equals(customer) && ((Order) o).quantity == quantity;
        }
        @Override public int hashCode() { return customer.hashCode() * 31 + quantity; }
    }

    static int step = 0;
    static void out(String what, Object result) {
        System.out.printf("%03d %s = %s%n", ++step, what, result);
    }

    static <K extends Comparable<K>> String sorted(Set<K> s) { return new TreeSet<>(s).toString(); }
    static <K extends Comparable<K>, V> String sorted(Map<K, V> m) { return new TreeMap<>(m).toString(); }

    public static void main(String[] args) throws Exception {
        ClientConfig cfg = new ClientConfig();
        cfg.setClusterName(args[0]);
        for (int i = 1; i < args.length; i++)
            cfg.getNetworkConfig().addAddress(args[i]);
        cfg.getConnectionStrategyConfig().getConnectionRetryConfig().setClusterConnectTimeoutMillis(60_000);
        cfg.setProperty("hazelcast.logging.type", "none");
        HazelcastInstance client = HazelcastClient.newHazelcastClient(cfg);
        try {
            run(client);
        } finally {
            client.shutdown();
        }
    }

    static void run(HazelcastInstance client) throws Exception {
        String prefix = "jt-" + UUID.randomUUID().toString().substring(0, 8) + "-";
        IMap<String, String> m = client.getMap(prefix + "strings");

        // basic writes and reads
        out("put(a,1)", m.put("a", "1"));
        out("put(a,2)", m.put("a", "2"));
        out("get(a)", m.get("a"));
        out("get(missing)", m.get("missing"));
        m.set("b", "1");
        out("set(b,1); get(b)", m.get("b"));
        out("putIfAbsent(a,3)", m.putIfAbsent("a", "3"));
        out("putIfAbsent(c,3)", m.putIfAbsent("c", "3"));
        out("replace(c,4)", m.replace("c", "4"));
        out("replace(missing,4)", m.replace("missing", "4"));
        out("replace(c,4,5)", m.replace("c", "4", "5"));
        out("replace(c,4,6)", m.replace("c", "4", "6"));
        out("containsKey(c)", m.containsKey("c"));
        out("containsKey(missing)", m.containsKey("missing"));
        out("containsValue(5)", m.containsValue("5"));
        out("containsValue(nope)", m.containsValue("nope"));
        out("size", m.size());
        out("isEmpty", m.isEmpty());
        out("remove(c)", m.remove("c"));
        out("remove(c) again", m.remove("c"));
        out("remove(b,wrong)", m.remove("b", "wrong"));
        out("remove(b,1)", m.remove("b", "1"));
        m.delete("a");
        out("delete(a); containsKey(a)", m.containsKey("a"));
        out("tryPut(d,1)", m.tryPut("d", "1", 1, TimeUnit.SECONDS));
        out("tryRemove(d)", m.tryRemove("d", 1, TimeUnit.SECONDS));
        out("size after removes", m.size());

        // bulk
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < 100; i++)
            batch.put("k" + i, "v" + i);
        m.putAll(batch);
        out("putAll(100); size", m.size());
        Set<String> want = new HashSet<>();
        for (int i = 0; i < 100; i += 7)
            want.add("k" + i);
        want.add("nope");
        out("getAll(every 7th + nope)", sorted(m.getAll(want)));
        out("keySet().size", m.keySet().size());
        List<String> values = new ArrayList<>(m.values());
        Collections.sort(values);
        out("values() first 3", values.subList(0, 3));
        out("entrySet().size", m.entrySet().size());
        m.clear();
        out("clear(); size", m.size());

        // TTL and max-idle: fields that do not depend on the clock
        m.put("ttl", "x", 30, TimeUnit.SECONDS);
        EntryView<String, String> v = m.getEntryView("ttl");
        out("put(ttl,x,30s); entry view value, ttl", v.getValue() + ", " + v.getTtl());
        m.put("idle", "y", 0, TimeUnit.SECONDS, 20, TimeUnit.SECONDS);
        v = m.getEntryView("idle");
        out("put(idle,y,ttl 0,max-idle 20s); entry view ttl, maxIdle", v.getTtl() + ", " + v.getMaxIdle());
        m.set("short", "z", 1, TimeUnit.SECONDS);
        out("set(short,z,1s); get", m.get("short"));
        boolean gone = false;
        for (int i = 0; i < 100 && !gone; i++) {
            Thread.sleep(50);
            gone = m.get("short") == null;
        }
        out("short gone within 6 s", gone);
        out("setTtl(ttl,60s)", m.setTtl("ttl", 60, TimeUnit.SECONDS));
        out("entry view ttl after setTtl", m.getEntryView("ttl").getTtl());
        out("setTtl(missing)", m.setTtl("missing", 60, TimeUnit.SECONDS));
        m.putTransient("tr", "t", 0, TimeUnit.SECONDS);
        out("putTransient(tr); get", m.get("tr"));
        out("evict(tr)", m.evict("tr"));
        out("evict(tr) again", m.evict("tr"));
        out("entry view of missing", m.getEntryView("missing"));
        m.put("hv", "1");
        m.put("hv", "2");
        m.get("hv");
        m.get("hv");
        m.get("hv");
        v = m.getEntryView("hv");
        out("put x2, get x3: entry view version, hits", v.getVersion() + ", " + v.getHits());

        // other key and value types
        IMap<Integer, Long> nums = client.getMap(prefix + "numbers");
        for (int i = 0; i < 10; i++)
            nums.put(i, (long) i * i);
        out("Integer->Long get(7)", nums.get(7));
        out("Integer keys", sorted(nums.keySet()));
        IMap<String, Order> orders = client.getMap(prefix + "orders");
        orders.put("o1", new Order("ann", 3));
        out("Serializable value", orders.get("o1"));
        out("replace(o1, same object, new)", orders.replace("o1", new Order("ann", 3), new Order("ann", 4)));
        out("after replace", orders.get("o1"));
        IMap<String, byte[]> blobs = client.getMap(prefix + "blobs");
        byte[] big = new byte[200_000];
        for (int i = 0; i < big.length; i++)
            big[i] = (byte) (i * 31);
        blobs.put("big", big);
        byte[] back = blobs.get("big");
        out("200 kB byte[] round trip", java.util.Arrays.equals(big, back));

        // locks
        IMap<String, String> lm = client.getMap(prefix + "locks");
        lm.put("l", "v");
        lm.lock("l");
        out("lock(l); isLocked", lm.isLocked("l"));
        AtomicBoolean other = new AtomicBoolean(true);
        Thread t = new Thread(() -> other.set(lm.tryLock("l")));
        t.start();
        t.join();
        out("tryLock(l) from another thread", other.get());
        out("tryPut(l) from this thread", lm.tryPut("l", "w", 1, TimeUnit.SECONDS));
        lm.unlock("l");
        out("unlock(l); isLocked", lm.isLocked("l"));
        out("tryLock(l, lease 10 s)", lm.tryLock("l", 1, TimeUnit.SECONDS, 10, TimeUnit.SECONDS));
        lm.forceUnlock("l");
        out("forceUnlock(l); isLocked", lm.isLocked("l"));
        try {
            lm.unlock("l");
            out("unlock of an unlocked key", "no error");
        } catch (IllegalMonitorStateException e) {
            out("unlock of an unlocked key", "IllegalMonitorStateException");
        }

        // entry listener: events of one key arrive in order
        IMap<String, String> em = client.getMap(prefix + "events");
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        class Listener implements EntryAddedListener<String, String>, EntryUpdatedListener<String, String>,
                EntryRemovedListener<String, String> {
            public void entryAdded(EntryEvent<String, String> e) { events.add("added " + e.getKey() + "=" + e.getValue()); }
            public void entryUpdated(EntryEvent<String, String> e) {
                events.add("updated " + e.getKey() + "=" + e.getValue() + " (was " + e.getOldValue() + ")");
            }
            public void entryRemoved(EntryEvent<String, String> e) { events.add("removed " + e.getKey() + " (was " + e.getOldValue() + ")"); }
        }
        UUID reg = em.addEntryListener(new Listener(), true);
        em.put("e", "1");
        em.put("e", "2");
        em.remove("e");
        for (int i = 0; i < 3; i++)
            out("event " + (i + 1), events.poll(10, TimeUnit.SECONDS));
        out("removeEntryListener", em.removeEntryListener(reg));
        em.put("e", "3");
        out("event after removal (within 1 s)", events.poll(1, TimeUnit.SECONDS));

        // a listener on one key only
        UUID one = em.addEntryListener((EntryAddedListener<String, String>) e ->
                events.add("key listener: added " + e.getKey()), "only", false);
        em.put("other", "1");
        em.put("only", "1");
        out("key listener event", events.poll(10, TimeUnit.SECONDS));
        out("nothing more (within 1 s)", events.poll(1, TimeUnit.SECONDS));
        em.removeEntryListener(one);

        // destroy
        m.put("x", "y");
        m.destroy();
        IMap<String, String> again = client.getMap(prefix + "strings");
        out("destroy(); size of the map by that name", again.size());
        for (IMap<?, ?> each : List.of(nums, orders, blobs, lm, em))
            each.destroy();
        out("done", "ok");
    }
}
