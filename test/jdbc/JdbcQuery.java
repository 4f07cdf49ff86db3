// Runs one SQL statement through the official ClickHouse JDBC driver, as DBeaver or any JDBC tool
// would, and prints what the driver read as JSON, so tests can check the served warehouse from a
// real third-party client.
//
// Usage: java -cp <jar>:<lib>/* JdbcQuery <jdbc-url> <sql> [property=value ...]
// The user and password come from JDBC_USER / JDBC_PASSWORD (kept off the command line).
// Stdout: {"columns":[..],"types":[..],"rows":[[..],..],"updateCount":n} (values as strings, NULL as null).
// On an SQLException: {"error":"..","code":<vendor code>,"sqlState":".."} on stderr, exit status 2.
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

public final class JdbcQuery {
    public static void main(String[] args) {
        if (args.length < 2) {
            System.err.println("usage: JdbcQuery <jdbc-url> <sql> [property=value ...]");
            System.exit(64);
        }
        Properties properties = new Properties();
        String user = System.getenv("JDBC_USER");
        String password = System.getenv("JDBC_PASSWORD");
        if (user != null) properties.setProperty("user", user);
        if (password != null) properties.setProperty("password", password);
        for (int i = 2; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            if (eq <= 0) {
                System.err.println("JdbcQuery: property '" + args[i] + "' is not name=value");
                System.exit(64);
            }
            properties.setProperty(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        // jdbc-v2 0.10.0 lists its driver under META-INF/services but never registers it (its static
        // registration is commented out upstream; the clickhouse-jdbc "all" jar's proxy driver does it).
        com.clickhouse.jdbc.Driver.load();
        try (Connection connection = DriverManager.getConnection(args[0], properties);
             Statement statement = connection.createStatement()) {
            boolean hasResultSet = statement.execute(args[1]);
            StringBuilder out = new StringBuilder();
            if (hasResultSet) {
                try (ResultSet resultSet = statement.getResultSet()) {
                    writeResultSet(resultSet, out);
                }
            } else {
                out.append("{\"columns\":[],\"types\":[],\"rows\":[],\"updateCount\":")
                        .append(statement.getLargeUpdateCount()).append('}');
            }
            System.out.println(out);
        } catch (SQLException e) {
            System.err.println("{\"error\":" + quote(String.valueOf(e.getMessage())) + ",\"code\":" + e.getErrorCode()
                    + ",\"sqlState\":" + quote(String.valueOf(e.getSQLState())) + "}");
            System.exit(2);
        }
    }

    private static void writeResultSet(ResultSet resultSet, StringBuilder out) throws SQLException {
        ResultSetMetaData meta = resultSet.getMetaData();
        int count = meta.getColumnCount();
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            columns.add(meta.getColumnLabel(i));
            types.add(meta.getColumnTypeName(i));
        }
        out.append("{\"columns\":");
        writeArray(columns, out);
        out.append(",\"types\":");
        writeArray(types, out);
        out.append(",\"rows\":[");
        boolean first = true;
        while (resultSet.next()) {
            if (!first) out.append(',');
            first = false;
            List<String> row = new ArrayList<>();
            for (int i = 1; i <= count; i++) row.add(resultSet.getString(i));
            writeArray(row, out);
        }
        out.append("]}");
    }

    private static void writeArray(List<String> values, StringBuilder out) {
        out.append('[');
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) out.append(',');
            String value = values.get(i);
            out.append(value == null ? "null" : quote(value));
        }
        out.append(']');
    }

    private static String quote(String value) {
        StringBuilder quoted = new StringBuilder(value.length() + 2).append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"': quoted.append("\\\""); break;
                case '\\': quoted.append("\\\\"); break;
                case '\n': quoted.append("\\n"); break;
                case '\r': quoted.append("\\r"); break;
                case '\t': quoted.append("\\t"); break;
                default:
                    if (c < 0x20) quoted.append(String.format("\\u%04x", (int) c));
                    else quoted.append(c);
            }
        }
        return quoted.append('"').toString();
    }
}
