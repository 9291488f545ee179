"""Which adapter serves each port, chosen from the settings: the index (Qdrant Edge or a Qdrant server), the
embedder and what embeds queries, the directory (Active Directory or the local YAML). The one place that
names adapters; :func:`ragwarden.services.build_services` composes them."""

from __future__ import annotations

from ragwarden.core.errors import ConfigurationError
from ragwarden.core.ports import Embedder, PrincipalResolver, VectorIndex
from ragwarden.core.settings import Settings


def build_index(settings: Settings) -> VectorIndex:
    from ragwarden.retrieval.hybrid import SearchPlan
    from ragwarden.retrieval.index_tuning import EdgeTuning, Quantization, ServerTuning

    quantization: Quantization = "int8" if settings.index_quantization == "int8" else None
    on_disk = settings.index_on_disk
    # the relevance floors: each leg keeps only candidates at or above its floor
    plan = SearchPlan(dense_floor=settings.search_dense_floor, sparse_floor=settings.search_sparse_floor)
    if settings.index_backend == "qdrant":
        from qdrant_client import QdrantClient

        from ragwarden.retrieval.qdrant_index import QdrantServerIndex

        api_key = settings.qdrant_api_key.get_secret_value() if settings.qdrant_api_key else None
        client = QdrantClient(url=settings.qdrant_url, api_key=api_key)
        server = ServerTuning(quantization=quantization, shard_number=settings.index_shards, on_disk=on_disk)
        return QdrantServerIndex(client, settings.collection, plan=plan, tuning=server)
    from ragwarden.retrieval.edge_index import QdrantEdgeIndex

    edge = EdgeTuning(
        quantization=quantization,
        on_disk=on_disk,
        oversampling=2.0 if quantization else None,  # twice the int8 candidates rescored: no near tie slips out
        split_filters=settings.index_split_filters,
    )
    return QdrantEdgeIndex(settings.index_path, settings.collection, plan=plan, tuning=edge)


def build_embedder(settings: Settings) -> Embedder:
    from ragwarden.ingestion.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embedding_batch_size)


def query_embedder(embedder: Embedder, settings: Settings) -> Embedder:
    """What the choke point embeds queries with: ``embedder`` behind the query vector cache and the micro-batcher
    (each off by its setting). Syncs and the extractor keep ``embedder`` itself."""
    from ragwarden.ingestion.query_embedding import QueryEmbedder

    fast = None
    float32 = getattr(embedder, "precision", None) == "float32"
    if settings.query_backend == "onnx" or (settings.query_backend == "auto" and float32):
        from ragwarden.ingestion.onnx_query import onnx_query_model

        fast = onnx_query_model(embedder, settings.cache_dir, getattr(embedder, "threads", 2))
    window = settings.query_batch_window_ms / 1000
    return QueryEmbedder(embedder, settings.query_cache_size, settings.query_batching, window, fast=fast)


def build_directory(settings: Settings) -> PrincipalResolver:
    """User names resolve through Active Directory when it is configured, else the local YAML.

    An AD caller also holds the SharePoint site groups naming one of their SIDs (the store beside the sync
    state). The local file is not wrapped: its ``user:``/``group:`` names are never site group members
    (SharePoint's are ``entra:``/``sid:`` tokens), so ``spgroup:`` grants would be indexed for nobody."""
    if settings.ad_host:
        from ragwarden.acl.active_directory.resolver import build_ad_resolver

        assert settings.ad_bind_user and settings.ad_bind_password  # checked by Settings
        ad = build_ad_resolver(
            host=settings.ad_host,
            bind_user=settings.ad_bind_user,
            bind_password=settings.ad_bind_password,
            cache_ttl=settings.principal_cache_ttl,
            port=settings.ad_port,
            security=settings.ad_security,
            allow_plain=settings.ad_allow_plain,
            ca_cert_file=settings.ad_ca_cert,
            tls_server_name=settings.ad_tls_server_name,
            base_dn=settings.ad_base_dn,
            netbios_domain=settings.ad_netbios_domain,
            connect_timeout=settings.ad_connect_timeout,
            timeout=settings.ad_timeout,
            builtin_sids=settings.ad_builtin_sids,
            extra_domain_sids=tuple(settings.ad_extra_domain_sids),
        )
        from ragwarden.services.identity import with_site_groups

        return with_site_groups(ad, settings)
    from ragwarden.acl.local_directory.resolver import LocalDirectory

    if settings.directory_file is None:
        raise ConfigurationError(
            "set RAGWARDEN_DIRECTORY_FILE (users-and-groups YAML) or RAGWARDEN_AD_HOST (Active Directory)"
        )
    return LocalDirectory.from_file(settings.directory_file)
