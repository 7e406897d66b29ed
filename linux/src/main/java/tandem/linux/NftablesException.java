package tandem.linux;

/** libnftables refused a script (nothing of it was applied) or could not be used; the message is nft's. */
public final class NftablesException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public NftablesException(String message) {
        super(message);
    }
}
