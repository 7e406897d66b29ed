package tandem.node.role;

/**
 * One transition of a group's role. {@code epoch} grows with every transition of the group: a
 * completion that belongs to an older epoch is ignored by the coordinator.
 */
public record RoleChange(String group, long epoch, Role to, String reason) {
}
