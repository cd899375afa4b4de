package io.sluice.train;

import com.google.common.collect.BiMap;
import com.google.common.collect.HashBasedTable;
import com.google.common.collect.HashBiMap;
import com.google.common.collect.Table;
import net.librec.conf.Configuration;
import net.librec.data.DataAppender;
import net.librec.data.DataContext;
import net.librec.data.DataConvertor;
import net.librec.data.DataModel;
import net.librec.math.structure.DataSet;
import net.librec.data.DataSplitter;
import net.librec.math.structure.SparseMatrix;

/**
 * A librec {@link DataModel} over ratings already in memory, with the train/test split decided by Sluice (so every
 * algorithm sees the same folds) instead of by librec's file convertors and splitters.
 */
final class LibrecData implements DataModel, DataSplitter {

    private final Configuration conf;
    private final SparseMatrix train;
    private final SparseMatrix test;
    private final BiMap<String, Integer> users = HashBiMap.create();
    private final BiMap<String, Integer> items = HashBiMap.create();
    final long[] userIds;
    final long[] itemIds;

    /** Indexes users and items of train then test in first-seen order, as librec's own convertor would. */
    LibrecData(Configuration conf, RatingSet trainRatings, RatingSet testRatings) {
        this.conf = conf;
        index(trainRatings);
        index(testRatings);
        this.train = matrix(trainRatings);
        this.test = matrix(testRatings);
        this.userIds = ids(users);
        this.itemIds = ids(items);
    }

    private void index(RatingSet r) {
        for (int j = 0; j < r.size(); j++) {
            users.putIfAbsent(Long.toString(r.user(j)), users.size());
            items.putIfAbsent(Long.toString(r.item(j)), items.size());
        }
    }

    private SparseMatrix matrix(RatingSet r) {
        Table<Integer, Integer, Double> table = HashBasedTable.create();
        for (int j = 0; j < r.size(); j++) {
            table.put(users.get(Long.toString(r.user(j))), items.get(Long.toString(r.item(j))), r.rating(j));
        }
        return new SparseMatrix(users.size(), items.size(), table);
    }

    private static long[] ids(BiMap<String, Integer> map) {
        long[] ids = new long[map.size()];
        map.forEach((id, idx) -> ids[idx] = Long.parseLong(id));
        return ids;
    }

    @Override
    public void buildDataModel() {
    }

    @Override
    public void loadDataModel() {
    }

    @Override
    public void saveDataModel() {
    }

    @Override
    public DataSplitter getDataSplitter() {
        return this;
    }

    @Override
    public DataSet getTrainDataSet() {
        return train;
    }

    @Override
    public DataSet getTestDataSet() {
        return test;
    }

    @Override
    public DataSet getValidDataSet() {
        return null;
    }

    @Override
    public DataSet getDatetimeDataSet() {
        return null;
    }

    @Override
    public BiMap<String, Integer> getUserMappingData() {
        return users;
    }

    @Override
    public BiMap<String, Integer> getItemMappingData() {
        return items;
    }

    @Override
    public DataAppender getDataAppender() {
        return null;
    }

    @Override
    public DataContext getContext() {
        return new DataContext(conf);
    }

    @Override
    public void splitData() {
    }

    @Override
    public void setDataConvertor(DataConvertor dataConvertor) {
    }

    @Override
    public SparseMatrix getTrainData() {
        return train;
    }

    @Override
    public SparseMatrix getTestData() {
        return test;
    }

    @Override
    public SparseMatrix getValidData() {
        return null;
    }
}
