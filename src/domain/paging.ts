/** Listings (orders, search results) come in pages: `page` from 1, `page_size` up to 100. */
export const DEFAULT_PAGE_SIZE = 20;

export interface PageRequest {
  page?: number | null;
  page_size?: number | null;
}

/** The page asked for, with defaults, and the rows it covers. */
export function pageOf(request: PageRequest): { page: number; page_size: number; limit: number; offset: number } {
  const page = request.page ?? 1;
  const pageSize = request.page_size ?? DEFAULT_PAGE_SIZE;
  return { page, page_size: pageSize, limit: pageSize, offset: (page - 1) * pageSize };
}
