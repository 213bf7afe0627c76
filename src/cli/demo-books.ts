import type { BookInfo } from '../domain/book.js';

/**
 * A small hand-written catalogue for `bookstore demo`: real titles in Chinese and English,
 * spread over three stores. Prices are in cents (分). Intros are short summaries written for
 * this project.
 */
export type DemoShelf = 'literature' | 'science' | 'history';

export interface DemoBook extends BookInfo {
  shelves: DemoShelf[];
}

type Row = [
  id: string,
  title: string,
  author: string,
  publisher: string,
  pubYear: string,
  pages: number,
  price: number,
  binding: string,
  tags: string[],
  intro: string,
  shelves: DemoShelf[],
  extra?: Partial<BookInfo>,
];

const ROWS: Row[] = [
  ['demo-001', '三体', '刘慈欣', '重庆出版社', '2008', 302, 2300, '平装', ['科幻', '小说', '刘慈欣', '中国科幻'], '文化大革命中的一次秘密科研项目，让人类第一次收到了来自半人马座三星系统的回应。', ['literature', 'science']],
  ['demo-002', '三体II：黑暗森林', '刘慈欣', '重庆出版社', '2008', 470, 3200, '平装', ['科幻', '小说', '刘慈欣'], '面对即将到来的三体舰队，人类启动“面壁计划”，罗辑在宇宙社会学中寻找生机。', ['literature']],
  ['demo-003', '三体III：死神永生', '刘慈欣', '重庆出版社', '2010', 513, 3800, '平装', ['科幻', '小说', '刘慈欣'], '跨越数个纪元的宏大叙事，讲述程心与云天明之间的故事以及宇宙的终极命运。', ['literature']],
  ['demo-004', '活着', '余华', '作家出版社', '2012', 191, 2000, '平装', ['小说', '余华', '当代文学'], '福贵的一生经历了家道中落、战争与亲人的离去，平静地讲述了人如何承受苦难而活下去。', ['literature']],
  ['demo-005', '许三观卖血记', '余华', '作家出版社', '2012', 236, 2400, '平装', ['小说', '余华', '当代文学'], '丝厂工人许三观靠卖血度过人生的一个个难关，笔调幽默而心酸。', ['literature']],
  ['demo-006', '平凡的世界（全三册）', '路遥', '北京十月文艺出版社', '2012', 1631, 10800, '平装', ['小说', '路遥', '茅盾文学奖', '当代文学'], '以孙少安、孙少平兄弟为中心，展现七八十年代中国城乡社会的巨大变迁。', ['literature']],
  ['demo-007', '围城', '钱锺书', '人民文学出版社', '1991', 359, 1900, '平装', ['小说', '钱锺书', '现代文学'], '留学归来的方鸿渐在婚姻与职业中辗转，城外的人想冲进去，城里的人想逃出来。', ['literature']],
  ['demo-008', '边城', '沈从文', '北岳文艺出版社', '2002', 286, 1260, '平装', ['小说', '沈从文', '现代文学'], '湘西小城茶峒的渡船边，少女翠翠纯净而怅惘的爱情故事。', ['literature']],
  ['demo-009', '红楼梦', '曹雪芹 高鹗', '人民文学出版社', '1996', 1606, 5970, '平装', ['古典文学', '四大名著', '小说'], '以贾、史、王、薛四大家族的兴衰为背景，写尽人情世态与青春的幻灭。', ['literature', 'history']],
  ['demo-010', '西游记', '吴承恩', '人民文学出版社', '2010', 1180, 4770, '平装', ['古典文学', '四大名著', '神魔小说'], '唐僧师徒四人西天取经，历经九九八十一难的奇幻旅程。', ['literature']],
  ['demo-011', '水浒传', '施耐庵', '人民文学出版社', '1997', 1400, 5000, '平装', ['古典文学', '四大名著', '小说'], '一百零八位好汉聚义梁山泊的故事。', ['literature']],
  ['demo-012', '三国演义', '罗贯中', '人民文学出版社', '1998', 1200, 4800, '平装', ['古典文学', '四大名著', '历史小说'], '从桃园结义到三分归晋，群雄逐鹿的百年风云。', ['literature', 'history']],
  ['demo-013', '呐喊', '鲁迅', '人民文学出版社', '1973', 150, 1300, '平装', ['小说', '鲁迅', '现代文学', '短篇小说'], '收录《狂人日记》《孔乙己》《阿Q正传》等短篇小说。', ['literature']],
  ['demo-014', '朝花夕拾', '鲁迅', '人民文学出版社', '1973', 108, 1000, '平装', ['散文', '鲁迅', '现代文学'], '回忆童年与青年时代的散文集。', ['literature']],
  ['demo-015', '骆驼祥子', '老舍', '人民文学出版社', '2000', 230, 1500, '平装', ['小说', '老舍', '现代文学'], '北平人力车夫祥子三起三落的命运。', ['literature']],
  ['demo-016', '白鹿原', '陈忠实', '人民文学出版社', '2012', 679, 3900, '平装', ['小说', '陈忠实', '茅盾文学奖'], '关中平原白、鹿两家半个世纪的恩怨纷争。', ['literature', 'history']],
  ['demo-017', '解忧杂货店', '东野圭吾', '南海出版公司', '2014', 291, 3960, '精装', ['小说', '东野圭吾', '日本文学', '治愈'], '一家能穿越时空回复烦恼咨询的杂货店，把几代人的命运连在一起。', ['literature'], { translator: '李盈春', original_title: 'ナミヤ雑貨店の奇蹟' }],
  ['demo-018', '百年孤独', '加西亚·马尔克斯', '南海出版公司', '2011', 360, 3950, '精装', ['小说', '魔幻现实主义', '拉美文学', '诺贝尔文学奖'], '布恩迪亚家族七代人在马孔多小镇的传奇与孤独。', ['literature'], { translator: '范晔', original_title: 'Cien años de soledad' }],
  ['demo-019', '追风筝的人', '卡勒德·胡赛尼', '上海人民出版社', '2006', 362, 2900, '平装', ['小说', '阿富汗', '外国文学'], '喀布尔少年阿米尔与仆人哈桑之间关于友谊、背叛与救赎的故事。', ['literature'], { translator: '李继宏', original_title: 'The Kite Runner' }],
  ['demo-020', '量子力学导论', '曾谨言', '北京大学出版社', '1998', 420, 3500, '平装', ['物理', '量子力学', '教材'], '面向本科生的量子力学入门教材，从波函数、薛定谔方程讲到角动量与微扰论。', ['science']],
  ['demo-021', '理论力学教程', '周衍柏', '高等教育出版社', '2009', 380, 3260, '平装', ['物理', '力学', '教材'], '经典力学的系统教程：质点与刚体动力学、分析力学初步。', ['science']],
  ['demo-022', '算法导论（原书第3版）', '托马斯·H.科尔曼 等', '机械工业出版社', '2013', 780, 12800, '平装', ['算法', '计算机科学', '编程', '经典教材'], '全面介绍算法设计与分析：排序、图算法、动态规划、NP完全性等。', ['science'], { original_title: 'Introduction to Algorithms' }],
  ['demo-023', '深入理解计算机系统（原书第3版）', '兰德尔·E.布莱恩特 大卫·R.奥哈拉伦', '机械工业出版社', '2016', 737, 13900, '平装', ['计算机科学', '操作系统', '编程'], '从程序员视角理解计算机系统：数据表示、机器级代码、存储层次、链接与并发。', ['science'], { original_title: "Computer Systems: A Programmer's Perspective" }],
  ['demo-024', '数据库系统概念（原书第6版）', '亚伯拉罕·西尔伯沙茨 等', '机械工业出版社', '2012', 757, 9900, '平装', ['数据库', '计算机科学', '教材'], '关系模型、SQL、事务、并发控制与恢复的经典教材。', ['science'], { original_title: 'Database System Concepts' }],
  ['demo-025', '人类简史：从动物到上帝', '尤瓦尔·赫拉利', '中信出版社', '2014', 440, 6800, '平装', ['历史', '人类学', '社会科学'], '从认知革命、农业革命到科学革命，讲述智人如何成为地球的主宰。', ['history', 'science'], { translator: '林俊宏', original_title: 'Sapiens' }],
  ['demo-026', '万历十五年', '黄仁宇', '中华书局', '2006', 280, 1800, '平装', ['历史', '明朝', '黄仁宇'], '以一个看似平淡的年份为切口，剖析明代政治与社会的深层结构。', ['history']],
  ['demo-027', '乡土中国', '费孝通', '北京大学出版社', '2012', 170, 1800, '平装', ['社会学', '费孝通', '中国社会'], '“差序格局”等概念描绘了传统中国基层社会的结构与秩序。', ['history']],
  ['demo-028', '中国近代史', '蒋廷黻', '上海古籍出版社', '1999', 150, 1500, '平装', ['历史', '近代史'], '从鸦片战争到抗战前夕，简明扼要地讨论近代中国的应变与求存。', ['history']],
  ['demo-029', '撒哈拉的故事', '三毛', '北京十月文艺出版社', '2011', 277, 2800, '平装', ['散文', '三毛', '旅行'], '作者在撒哈拉沙漠生活的见闻，热烈而有趣。', ['literature']],
  ['demo-030', '文化苦旅', '余秋雨', '东方出版中心', '1992', 340, 2600, '平装', ['散文', '余秋雨', '文化'], '走访各地人文古迹而写成的文化散文。', ['literature', 'history']],
  ['demo-031', 'The Pragmatic Programmer', 'Andrew Hunt, David Thomas', 'Addison-Wesley', '1999', 352, 28900, 'Paperback', ['programming', 'software engineering', 'craft'], 'Practical advice for working programmers: tracer bullets, orthogonality, automation and taking responsibility for your code.', ['science']],
  ['demo-032', 'Clean Code', 'Robert C. Martin', 'Prentice Hall', '2008', 464, 26500, 'Paperback', ['programming', 'software engineering', 'refactoring'], 'How to write readable, maintainable code, illustrated with many before-and-after examples.', ['science']],
  ['demo-033', 'Designing Data-Intensive Applications', 'Martin Kleppmann', "O'Reilly Media", '2017', 616, 39900, 'Paperback', ['databases', 'distributed systems', 'architecture'], 'Replication, partitioning, transactions and stream processing: the ideas behind reliable, scalable data systems.', ['science']],
  ['demo-034', 'Structure and Interpretation of Computer Programs', 'Harold Abelson, Gerald Jay Sussman', 'MIT Press', '1996', 657, 45000, 'Paperback', ['programming', 'computer science', 'lisp'], 'A classic introduction to computation built on abstraction with procedures and data, using Scheme.', ['science']],
  ['demo-035', 'The C Programming Language', 'Brian W. Kernighan, Dennis M. Ritchie', 'Prentice Hall', '1988', 272, 41000, 'Paperback', ['programming', 'c', 'classic'], 'The concise reference and tutorial of C by its designers.', ['science']],
  ['demo-036', 'The Art of Computer Programming, Volume 1', 'Donald E. Knuth', 'Addison-Wesley', '1997', 672, 68000, 'Hardcover', ['algorithms', 'computer science', 'mathematics'], 'Fundamental algorithms: basic concepts, information structures and the MIX machine.', ['science']],
  ['demo-037', 'Nineteen Eighty-Four', 'George Orwell', 'Penguin Books', '2008', 355, 6900, 'Paperback', ['fiction', 'dystopia', 'classic'], 'Winston Smith works at the Ministry of Truth under the ever-watching eye of Big Brother.', ['literature']],
  ['demo-038', 'Pride and Prejudice', 'Jane Austen', 'Penguin Classics', '2003', 480, 5500, 'Paperback', ['fiction', 'classic', 'romance'], 'Elizabeth Bennet and Mr Darcy misjudge each other in a sharp comedy of manners.', ['literature']],
  ['demo-039', 'To Kill a Mockingbird', 'Harper Lee', 'Harper Perennial', '2006', 336, 7200, 'Paperback', ['fiction', 'classic', 'justice'], 'Scout Finch watches her father defend a Black man falsely accused in a small Alabama town.', ['literature']],
  ['demo-040', 'The Great Gatsby', 'F. Scott Fitzgerald', 'Scribner', '2004', 180, 5900, 'Paperback', ['fiction', 'classic', 'jazz age'], 'Nick Carraway is drawn into the glittering, doomed world of his neighbour Jay Gatsby.', ['literature']],
  ['demo-041', 'The Old Man and the Sea', 'Ernest Hemingway', 'Scribner', '1995', 128, 4500, 'Paperback', ['fiction', 'classic', 'novella'], 'An aging Cuban fisherman fights a giant marlin far out in the Gulf Stream.', ['literature']],
  ['demo-042', 'The Three-Body Problem', 'Cixin Liu', 'Tor Books', '2014', 400, 8900, 'Paperback', ['science fiction', 'fiction', 'translated'], 'The English translation of 三体: a secret military project sends signals into space and receives an answer.', ['literature', 'science'], { translator: 'Ken Liu', original_title: '三体' }],
  ['demo-043', 'Sapiens: A Brief History of Humankind', 'Yuval Noah Harari', 'Harper', '2015', 464, 9900, 'Paperback', ['history', 'anthropology', 'nonfiction'], 'How Homo sapiens came to dominate the planet, from the cognitive revolution to capitalism.', ['history']],
  ['demo-044', 'A Brief History of Time', 'Stephen Hawking', 'Bantam', '1998', 212, 6500, 'Paperback', ['physics', 'cosmology', 'popular science'], 'Black holes, the big bang and the nature of time, explained for the general reader.', ['science']],
  ['demo-045', 'The Selfish Gene', 'Richard Dawkins', 'Oxford University Press', '2016', 544, 7800, 'Paperback', ['biology', 'evolution', 'popular science'], 'Evolution seen from the point of view of the gene.', ['science']],
  ['demo-046', 'Gödel, Escher, Bach', 'Douglas R. Hofstadter', 'Basic Books', '1999', 777, 9800, 'Paperback', ['mathematics', 'logic', 'cognitive science'], 'Self-reference and strange loops in mathematics, art and music, and what they say about minds.', ['science']],
  ['demo-047', 'Thinking, Fast and Slow', 'Daniel Kahneman', 'Farrar, Straus and Giroux', '2011', 499, 8500, 'Hardcover', ['psychology', 'economics', 'decision making'], 'Two systems of thought, and the biases that shape our judgements.', ['science', 'history']],
  ['demo-048', 'Guns, Germs, and Steel', 'Jared Diamond', 'W. W. Norton', '1999', 480, 8200, 'Paperback', ['history', 'geography', 'nonfiction'], 'Why some societies came to conquer others: geography, crops, animals and disease.', ['history']],
  ['demo-049', 'The Silk Roads: A New History of the World', 'Peter Frankopan', 'Vintage', '2017', 656, 9500, 'Paperback', ['history', 'silk road', 'world history'], 'World history retold from the trade routes linking China, Central Asia and the Mediterranean.', ['history']],
  ['demo-050', '唐诗三百首', '蘅塘退士（编）', '中华书局', '2016', 400, 3000, '平装', ['诗词', '唐诗', '古典文学'], '清代蘅塘退士编选的唐诗选本，收录李白、杜甫、王维等诗人的名篇，附注释。', ['literature', 'history']],
];

export const DEMO_BOOKS: readonly DemoBook[] = ROWS.map(
  ([id, title, author, publisher, pub_year, pages, price, binding, tags, book_intro, shelves, extra]) => ({
    id,
    title,
    author,
    publisher,
    pub_year,
    pages,
    price,
    binding,
    currency_unit: 'CNY',
    tags,
    book_intro,
    shelves,
    ...extra,
  }),
);
