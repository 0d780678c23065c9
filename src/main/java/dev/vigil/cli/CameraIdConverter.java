package dev.vigil.cli;

import dev.vigil.untrusted.CameraId;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code --camera} as every command takes it: a valid camera id ({@link CameraId}, the rule of
 * {@code config/cameras.yaml}), or a usage error naming it, before anything is read or written.
 */
public final class CameraIdConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        String problem = CameraId.problem(value);
        if (problem != null) {
            throw new TypeConversionException(problem);
        }
        return value;
    }
}
