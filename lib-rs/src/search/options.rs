//! The options of reads (search, list, count), as typed structs, and their bounds. They are
//! decoded from the JSON that crosses the ABI, and every bound checked, in `abi/decode.rs`.

use crate::filter::FilterPlan;

/// Which namespaces a read covers.
#[derive(Debug, Clone, PartialEq)]
pub enum NamespaceSelection {
    One(String),
    Many(Vec<String>),
    All,
}

impl NamespaceSelection {
    pub fn matches(&self, name: &str) -> bool {
        match self {
            NamespaceSelection::One(n) => n == name,
            NamespaceSelection::Many(list) => list.iter().any(|n| n == name),
            NamespaceSelection::All => true,
        }
    }
}

/// How the dense and sparse sides are combined.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Fusion {
    Linear { dense_weight: f32, sparse_weight: f32 },
    Rrf { k: f32 },
}

pub struct SearchOptions {
    pub k: usize,
    /// Sparse query terms (keyword search; hybrid with a query vector).
    pub sparse: Option<Vec<(String, f32)>>,
    pub fusion: Fusion,
    /// Attach an explanation to each result.
    pub explain: bool,
    /// Search this named vector space with the query vector.
    pub vector_name: Option<String>,
    /// A multi-vector query: a query vector per named space.
    pub vectors: Vec<(String, Vec<f32>)>,
    /// Weights of the spaces of a multi-vector query ("" is the main vector); default 1.
    pub vector_weights: Vec<(String, f32)>,
    /// MMR diversification: 1 = pure relevance, 0 = pure diversity.
    pub mmr_lambda: Option<f32>,
    /// Candidates MMR chooses from (default 4k).
    pub fetch_k: usize,
    /// Force an exact scan.
    pub exact: bool,
    /// HNSW search effort for this query.
    pub ef_search: Option<usize>,
    /// On quantized spaces: candidates per result scored exactly (default per quantization).
    pub rescore: Option<usize>,
    /// Matryoshka prefix search: score on the first this many dimensions of the query and
    /// of every stored main vector, exactly.
    pub truncate_dim: Option<usize>,
    pub filter: Option<FilterPlan>,
    pub namespaces: NamespaceSelection,
    pub include_vectors: bool,
    /// A late-interaction query of a multi-vector space, in place of a query vector.
    pub multi_vector: Option<MultiVectorQuery>,
    /// The instant the search is taken at (epoch ms): one clock for every namespace and every
    /// side of it, so a record expiring meanwhile is in all of them or in none.
    pub now: i64,
}

/// `multiVector: { name, query, candidates? }`.
#[derive(Debug, Clone, PartialEq)]
pub struct MultiVectorQuery {
    pub name: String,
    /// The length of each query vector.
    pub dim: usize,
    /// The query vectors back to back.
    pub values: Vec<f32>,
    /// How many records the mean-vector stage keeps per namespace (see `search/late.rs`).
    pub candidates: Option<usize>,
}

pub struct ListOptions {
    pub filter: Option<FilterPlan>,
    pub namespaces: NamespaceSelection,
    pub limit: usize,
    pub offset: usize,
    pub include_vectors: bool,
    /// Go on after this record's position (a cursor from an earlier page).
    pub after: Option<ListCursor>,
}

/// A record's position in list order: its namespace, its slot in a numbering of that
/// namespace's slots (`layout.rs`), and its id (to find it again should the numbering be
/// unknown).
#[derive(Debug, Clone, PartialEq)]
pub struct ListCursor {
    pub namespace: String,
    pub layout: u64,
    pub slot: u32,
    pub id: String,
}

/// The largest `k`, `fetchK`, `limit` and `offset` accepted: a namespace holds at most this
/// many records (slots are u32). Searches clamp k and fetchK to the records there are.
pub const MAX_COUNT_OPTION: usize = u32::MAX as usize;
/// The largest `efSearch` accepted (the same bound as the open option `hnsw.efSearch`).
pub const MAX_EF_SEARCH: usize = 65_536;

impl SearchOptions {
    /// The weight of a space in a multi-vector query (1 unless `vectorWeights` says).
    pub fn weight_of(&self, name: &str) -> f32 {
        self.vector_weights.iter().find(|(n, _)| n == name).map_or(1.0, |(_, w)| *w)
    }
}

/// The defaults of an options object with no keys: k 10, the default namespace, linear
/// fusion with both weights 1, fetchK 4k.
impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            k: 10,
            sparse: None,
            fusion: Fusion::Linear { dense_weight: 1.0, sparse_weight: 1.0 },
            explain: false,
            vector_name: None,
            vectors: Vec::new(),
            vector_weights: Vec::new(),
            mmr_lambda: None,
            fetch_k: 40,
            exact: false,
            ef_search: None,
            rescore: None,
            truncate_dim: None,
            filter: None,
            namespaces: NamespaceSelection::One(String::new()),
            include_vectors: false,
            multi_vector: None,
            now: crate::expiry::now_ms(),
        }
    }
}

/// The defaults of an options object with no keys: every record of the default namespace.
impl Default for ListOptions {
    fn default() -> Self {
        ListOptions { filter: None, namespaces: NamespaceSelection::One(String::new()), limit: 0, offset: 0, include_vectors: false, after: None }
    }
}
