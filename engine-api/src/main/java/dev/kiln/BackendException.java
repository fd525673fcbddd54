package dev.kiln;

/** A failing call into a device library, carrying that library's own error name (CUDA_ERROR_..., CL_..., CUDNN_STATUS_...). */
public class BackendException extends KilnException {
    private final String libraryError;

    public BackendException(String message, String libraryError) {
        super(message + " (" + libraryError + ")");
        this.libraryError = libraryError;
    }

    public BackendException(String message, String libraryError, Throwable cause) {
        super(message + " (" + libraryError + ")", cause);
        this.libraryError = libraryError;
    }

    /** The library's name for the error, e.g. {@code CUDA_ERROR_ILLEGAL_ADDRESS} or {@code CL_OUT_OF_RESOURCES}. */
    public String libraryError() { return libraryError; }
}
