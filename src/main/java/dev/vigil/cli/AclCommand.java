package dev.vigil.cli;

import dev.vigil.access.Role;
import dev.vigil.access.RoleAcls;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AclBinding;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;

@Command(name = "acl", mixinStandardHelpOptions = true,
        description = "Print the Kafka ACLs of a role (ingest, scorer, model-operator, alert-subscriber, dashboard) "
                + "for a principal, one per line; with --apply, create them (as an administrator).")
public class AclCommand implements Callable<Integer> {
    @Option(names = "--role", required = true, split = ",", paramLabel = "<role>", converter = RoleConverter.class,
            description = "ingest, scorer, model-operator, alert-subscriber or dashboard (repeat, or "
                    + "comma-separated, for several)")
    List<Role> roles;

    @Option(names = "--principal", paramLabel = "<type:name>",
            description = "Who gets them, e.g. User:scorer (a SCRAM user, or a certificate's CN); with one role only "
                    + "(default: User:<role>)")
    String principal;

    @Option(names = "--application-id", paramLabel = "<id>", defaultValue = RoleAcls.DEFAULT_APPLICATION_ID,
            description = "The scorer's application id, as serve's --application-id: its consumer group, and the "
                    + "prefix of its internal topics and transactional ids (default: ${DEFAULT-VALUE})")
    String applicationId;

    @Option(names = "--group-prefix", paramLabel = "<prefix>", defaultValue = RoleAcls.DEFAULT_GROUP_PREFIX,
            description = "Consumer groups an alert subscriber may use (default: ${DEFAULT-VALUE})")
    String groupPrefix;

    @Option(names = "--auto-learn", description = "The scorer learns models itself (serve --auto-learn), or refines "
            + "them from operators' confirmations (vigil feedback, the dashboard's \"normal\"): it may also publish "
            + "to the models topic")
    boolean autoLearn;

    @Option(names = "--apply", description = "Create the ACLs on the cluster (needs an administrator's "
            + "--kafka-config); those that exist stay")
    boolean apply;

    @Mixin
    KafkaOptions kafka;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (principal != null && roles.size() > 1) {
            throw new ParameterException(spec.commandLine(), "--principal names the principal of one --role");
        }
        List<AclBinding> acls = new java.util.ArrayList<>();
        try {
            for (Role role : roles) {
                acls.addAll(RoleAcls.of(role, principal == null ? "User:" + role.id() : principal,
                        new RoleAcls.Options(applicationId, groupPrefix, autoLearn)));
            }
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        acls.forEach(b -> out.println(RoleAcls.describe(b)));
        if (apply) {
            var connection = kafka.connection();
            try (Admin admin = Admin.create(connection.config())) {
                RoleAcls.apply(admin, acls);
            } catch (ExecutionException e) {
                throw new java.io.IOException("cannot create the ACLs of " + roles + " on " + connection + ": "
                        + e.getCause().getMessage(), e);
            }
            out.printf("applied %d ACLs of %s on %s%n", acls.size(), roles.stream().map(Role::id)
                    .collect(java.util.stream.Collectors.joining(", ")), connection);
        }
        out.flush();
        return 0;
    }

    static class RoleConverter implements picocli.CommandLine.ITypeConverter<Role> {
        @Override
        public Role convert(String value) {
            return Role.parse(value);
        }
    }
}
